//! The firewall side of container networking, with nftables (nft(8)).
//!
//! Everything lives in one table, `ip lab`, of the namespace the caller runs in:
//! - `postrouting` (nat): **masquerade** — a container's packet leaving through anything but
//!   its own bridge gets the host's address as source, so replies find their way back;
//! - `prerouting` and `output` (nat): **DNAT** for published ports, one rule per protocol
//!   that looks the destination port up in the map `tcp_ports` or `udp_ports`
//!   (host port → container address . port).
//!   `prerouting` sees traffic arriving from outside; `output` sees the host's own
//!   connections, including those to 127.0.0.1 (see `route_localnet` in [`crate::network`]);
//! - `forward` (filter): **isolation** — a packet may not be routed from one of our bridges
//!   to another, so containers on different networks cannot reach each other.
//!
//! Per-network rules carry the comment `net NAME`, which is how teardown finds them again.
//! nftables tables belong to a network namespace, so a test or step that runs in its own
//! namespace never touches the machine's firewall.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::subnet::Subnet;

/// What can go wrong with the firewall.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `nft` program could not be run.
    #[error(
        "could not run {program:?}: {source}: install Debian's nftables package (`apt-get install nftables`)"
    )]
    Missing {
        /// The program we tried.
        program: String,
        /// The error from execve(2).
        source: std::io::Error,
    },
    /// Writing to or waiting for `nft` failed.
    #[error("talking to {program:?}: {source}")]
    Io {
        /// The program.
        program: String,
        /// The error.
        source: std::io::Error,
    },
    /// nft refused a change.
    #[error("nft refused `{script}`: {stderr}")]
    Refused {
        /// What we asked for.
        script: String,
        /// What nft said.
        stderr: String,
    },
    /// The host port is already published.
    #[error("host port {port}/{proto} is already published (to {to}): choose another host port")]
    PortTaken {
        /// The host port.
        port: u16,
        /// Its protocol.
        proto: Protocol,
        /// Where it goes now.
        to: String,
    },
}

/// The name of our nftables table (family `ip`).
pub const TABLE: &str = "lab";

/// The transport protocol of a published port: each has its own port numbers (ip(7)), so
/// TCP 53 and UDP 53 are two different ports, in two different maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// tcp(7)
    Tcp,
    /// udp(7)
    Udp,
}

impl Protocol {
    /// Both, in the order teardown and listings visit them.
    pub const ALL: [Protocol; 2] = [Protocol::Tcp, Protocol::Udp];

    /// Its name in nft(8) and in Docker's `80/tcp`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }

    /// Our map of published ports for it: `tcp_ports` or `udp_ports`.
    fn map(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp_ports",
            Protocol::Udp => "udp_ports",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One published port: `host_port` on the host goes to `addr:port` in a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortMapping {
    /// TCP or UDP (the same for both ends).
    pub proto: Protocol,
    /// The port on the host.
    pub host_port: u16,
    /// The container's address.
    pub addr: Ipv4Addr,
    /// The port inside the container.
    pub port: u16,
}

/// nftables, driven through the `nft` program.
#[derive(Debug, Clone)]
pub struct Firewall {
    program: String,
}

impl Default for Firewall {
    fn default() -> Self {
        Firewall {
            program: "nft".into(),
        }
    }
}

impl Firewall {
    /// Use another `nft` binary (a path, or a name looked up in PATH).
    pub fn with_program(program: &str) -> Firewall {
        Firewall {
            program: program.into(),
        }
    }

    /// Check that `nft` runs at all, before anything else is configured.
    pub fn check(&self) -> Result<(), Error> {
        self.nft(&["--version"]).map(|_| ())
    }

    /// Create the table with its chains, maps and set, unless it exists already.
    // ANCHOR: table
    pub fn ensure_table(&self) -> Result<(), Error> {
        if self.nft(&["list", "table", "ip", TABLE]).is_ok() {
            return self.ensure_udp_map();
        }
        self.apply(&format!(
            "table ip {TABLE} {{
  set bridges {{ type ifname; }}
  map tcp_ports {{ type inet_service : ipv4_addr . inet_service; }}
  map udp_ports {{ type inet_service : ipv4_addr . inet_service; }}
  chain prerouting {{ type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local dnat ip to tcp dport map @tcp_ports;
    fib daddr type local dnat ip to udp dport map @udp_ports; }}
  chain output {{ type nat hook output priority -100; policy accept;
    fib daddr type local dnat ip to tcp dport map @tcp_ports;
    fib daddr type local dnat ip to udp dport map @udp_ports; }}
  chain postrouting {{ type nat hook postrouting priority srcnat; policy accept; }}
  chain forward {{ type filter hook forward priority filter; policy accept; }}
}}"
        ))
    }
    // ANCHOR_END: table

    /// A table made by an older version of this lesson has no `udp_ports`: add the map and its
    /// two DNAT rules (one transaction), leaving everything else as it is.
    fn ensure_udp_map(&self) -> Result<(), Error> {
        if self.nft(&["list", "map", "ip", TABLE, "udp_ports"]).is_ok() {
            return Ok(());
        }
        let dnat = "fib daddr type local dnat ip to udp dport map @udp_ports";
        self.apply(&format!(
            "add map ip {TABLE} udp_ports {{ type inet_service : ipv4_addr . inet_service; }}
add rule ip {TABLE} prerouting {dnat}
add rule ip {TABLE} output {dnat}"
        ))
    }

    /// Delete the whole table (all chains, rules, maps and sets in it).
    pub fn delete_table(&self) -> Result<(), Error> {
        self.apply(&format!("delete table ip {TABLE}"))
    }

    /// Masquerade and isolate network `name` (bridge `bridge`, subnet `subnet`).
    // ANCHOR: add_network
    pub fn add_network(&self, name: &str, bridge: &str, subnet: Subnet) -> Result<(), Error> {
        // exercise 06.5 nat-rule: begin
        let c = format!("comment \"net {name}\"");
        self.apply(&format!(
            "add element ip {TABLE} bridges {{ \"{bridge}\" }}
add rule ip {TABLE} postrouting ip saddr {subnet} oifname != \"{bridge}\" masquerade {c}
add rule ip {TABLE} postrouting oifname \"{bridge}\" ip saddr 127.0.0.0/8 masquerade {c}
add rule ip {TABLE} forward iifname \"{bridge}\" oifname @bridges oifname != \"{bridge}\" drop {c}"
        ))
        // exercise 06.5: end
    }
    // ANCHOR_END: add_network

    /// Seal network `name` (an internal network): drop every packet routed from its bridge to
    /// any other interface, or from any other interface to its bridge. The masquerade rule
    /// stays, with nothing left to rewrite. Same comment, so teardown removes these too.
    pub fn seal_network(&self, name: &str, bridge: &str) -> Result<(), Error> {
        let c = format!("comment \"net {name}\"");
        self.apply(&format!(
            "add rule ip {TABLE} forward iifname \"{bridge}\" oifname != \"{bridge}\" drop {c}
add rule ip {TABLE} forward oifname \"{bridge}\" iifname != \"{bridge}\" drop {c}"
        ))
    }

    /// Remove network `name`'s rules and its bridge from the set. Both are attempted; every
    /// failure is returned.
    pub fn remove_network(&self, name: &str, bridge: &str) -> Vec<Error> {
        let mut errors = Vec::new();
        match self.rule_handles(&format!("net {name}")) {
            Ok(handles) => {
                for (chain, handle) in handles {
                    let script = format!("delete rule ip {TABLE} {chain} handle {handle}");
                    errors.extend(self.apply(&script).err());
                }
            }
            Err(e) => errors.push(e),
        }
        let script = format!("delete element ip {TABLE} bridges {{ \"{bridge}\" }}");
        errors.extend(self.apply(&script).err());
        errors
    }

    /// Publish `host_port` to `addr:port` (of protocol `m.proto`); refuses a host port that
    /// is already published for that protocol.
    pub fn publish(&self, m: PortMapping) -> Result<(), Error> {
        if let Some(old) = self
            .published()?
            .into_iter()
            .find(|p| p.proto == m.proto && p.host_port == m.host_port)
        {
            let to = format!("{}:{}", old.addr, old.port);
            return Err(Error::PortTaken {
                port: m.host_port,
                proto: m.proto,
                to,
            });
        }
        // exercise 06.6 publish-port: begin
        // `create` (not `add`) fails if the key exists: the kernel settles any race.
        let (map, hp, a, p) = (m.proto.map(), m.host_port, m.addr, m.port);
        self.apply(&format!(
            "create element ip {TABLE} {map} {{ {hp} : {a} . {p} }}"
        ))
        // exercise 06.6: end
    }

    /// Withdraw every published port that leads to `addr`.
    pub fn unpublish_all(&self, addr: Ipv4Addr) -> Result<(), Error> {
        for m in self.published()?.into_iter().filter(|m| m.addr == addr) {
            let (map, hp) = (m.proto.map(), m.host_port);
            self.apply(&format!("delete element ip {TABLE} {map} {{ {hp} }}"))?;
        }
        Ok(())
    }

    /// Every published port, TCP then UDP, read back from the kernel (`nft -j list map`).
    pub fn published(&self) -> Result<Vec<PortMapping>, Error> {
        let mut found = Vec::new();
        for proto in Protocol::ALL {
            found.extend(self.published_in(proto)?);
        }
        Ok(found)
    }

    fn published_in(&self, proto: Protocol) -> Result<Vec<PortMapping>, Error> {
        let json = self.nft(&["-j", "list", "map", "ip", TABLE, proto.map()])?;
        let mut found = Vec::new();
        for item in objects(&json, "map") {
            for elem in item["elem"].as_array().into_iter().flatten() {
                // [8080, {"concat": ["10.88.0.2", 80]}]
                let concat = &elem[1]["concat"];
                let parsed = (
                    elem[0].as_u64(),
                    concat[0].as_str().and_then(|a| a.parse().ok()),
                    concat[1].as_u64(),
                );
                if let (Some(hp), Some(addr), Some(port)) = parsed {
                    found.push(PortMapping {
                        proto,
                        host_port: hp as u16,
                        addr,
                        port: port as u16,
                    });
                }
            }
        }
        Ok(found)
    }

    /// The table as `nft list table ip lab` prints it, for people to read.
    pub fn ruleset(&self) -> Result<String, Error> {
        self.nft(&["list", "table", "ip", TABLE])
    }

    /// (chain, handle) of every rule in our table whose comment is `comment`.
    fn rule_handles(&self, comment: &str) -> Result<Vec<(String, u64)>, Error> {
        let json = self.nft(&["-j", "-a", "list", "table", "ip", TABLE])?;
        Ok(objects(&json, "rule")
            .filter(|r| r["comment"] == comment)
            .filter_map(|r| Some((r["chain"].as_str()?.to_string(), r["handle"].as_u64()?)))
            .collect())
    }

    /// Feed a script to `nft -f -`; one script is applied as one atomic transaction.
    fn apply(&self, script: &str) -> Result<(), Error> {
        self.run(&["-f", "-"], Some(script)).map(|_| ())
    }

    fn nft(&self, args: &[&str]) -> Result<String, Error> {
        self.run(args, None)
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String, Error> {
        let missing = |source| Error::Missing {
            program: self.program.clone(),
            source,
        };
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(missing)?;
        let mut input = child.stdin.take().expect("piped stdin");
        // nft may exit before reading everything (e.g. on a syntax error): that is EPIPE here,
        // and its exit status and message below say what went wrong.
        let written = input.write_all(stdin.unwrap_or("").as_bytes());
        drop(input);
        let talk = |source| Error::Io {
            program: self.program.clone(),
            source,
        };
        match written {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(talk(e)),
            _ => {}
        }
        let out = child.wait_with_output().map_err(talk)?;
        if !out.status.success() {
            return Err(Error::Refused {
                script: stdin.map_or_else(|| format!("nft {}", args.join(" ")), str::to_string),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The objects of one kind ("rule", "map"…) in `nft -j` output.
fn objects<'a>(json: &'a str, kind: &'a str) -> impl Iterator<Item = Value> + 'a {
    let doc: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    let items = doc["nftables"].as_array().cloned().unwrap_or_default();
    items
        .into_iter()
        .filter_map(move |mut item| item.get_mut(kind).map(Value::take))
}
