//! Networks of containers: a bridge, a subnet, NAT and published ports — set up and torn down
//! as mirror images.
//!
//! [`Networks`] is the driver the steps and the capstone use, the way podman uses netavark:
//! - [`Networks::create`] makes a bridge (like `docker0`), gives it the subnet's gateway
//!   address, turns on routing (`ip_forward`) and adds masquerade and isolation rules;
//! - [`Networks::connect`] leases an address, plugs a veth pair between the bridge and the
//!   container's namespace, and configures `eth0`, `lo` and the default route inside;
//! - [`Networks::publish`] maps a host port to a container port;
//! - [`Networks::disconnect`] and [`Networks::remove`] undo exactly that, in reverse order,
//!   and carry on past failures, returning every error at the end ([`TeardownErrors`]).
//!
//! Everything happens in the network namespace of the calling thread (the "host").

use std::fmt;
use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use crate::firewall::{Firewall, PortMapping};
use crate::ipam::{Ipam, NetworkRecord, State};
use crate::netlink::{self, Netlink};
use crate::netns::NetNs;
use crate::subnet::Subnet;

/// What can go wrong setting up container networking.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A netlink request failed.
    #[error(transparent)]
    Netlink(#[from] netlink::Error),
    /// Allocating or recording addresses failed.
    #[error(transparent)]
    Ipam(#[from] crate::ipam::Error),
    /// nftables failed.
    #[error(transparent)]
    Firewall(#[from] crate::firewall::Error),
    /// Entering a namespace failed.
    #[error(transparent)]
    Netns(#[from] crate::netns::Error),
    /// Starting a sandbox failed.
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::Error),
    /// A name we would write into interface names, files or nft rules is not acceptable.
    #[error(
        "{kind} name {name:?} is not valid: use 1 to {max} letters, digits, '-', '_' or '.', not starting with '.' or '-'"
    )]
    InvalidName {
        /// What the name is for ("network", "bridge", "container").
        kind: &'static str,
        /// The name given.
        name: String,
        /// The longest acceptable length.
        max: usize,
    },
    /// A port number of 0.
    #[error("port 0 cannot be published: give ports between 1 and 65535")]
    PortZero,
    /// An interface of that name exists already.
    #[error("bridge name {0:?} is taken by an existing interface: choose another bridge name")]
    BridgeTaken(String),
    /// The subnet is already in use on an interface of this namespace.
    #[error(
        "subnet {subnet} overlaps address {addr} on interface {interface:?}: choose a subnet that does not overlap"
    )]
    SubnetInUse {
        /// The requested subnet.
        subnet: Subnet,
        /// The address found inside it.
        addr: Ipv4Addr,
        /// The interface carrying it.
        interface: String,
    },
    /// The container has no address on the network.
    #[error("container {container:?} is not connected to network {network:?}")]
    NotConnected {
        /// The container.
        container: String,
        /// The network.
        network: String,
    },
    /// Writing a file (a sysctl under /proc/sys, a hosts file) failed.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// How long [`Networks::connect`] waits for a new veth pair to come up.
const LINK_TIMEOUT: Duration = Duration::from_secs(10);

/// Every error a teardown met; it went on past each one, removing what it could.
#[derive(Debug)]
pub struct TeardownErrors(pub Vec<Error>);

impl fmt::Display for TeardownErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "teardown met {} error(s)", self.0.len())?;
        for e in &self.0 {
            write!(f, "; {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TeardownErrors {}

impl TeardownErrors {
    fn into_result(self) -> Result<(), TeardownErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// A container's place on a network, as [`Networks::connect`] set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The container's address, on `interface`.
    pub addr: Ipv4Addr,
    /// The container's end of the veth pair: `eth0`, or `eth1`… on further networks.
    pub interface: String,
    /// The gateway (the bridge's address), its default route.
    pub gateway: Ipv4Addr,
    /// The network's subnet.
    pub subnet: Subnet,
    /// The host end of the veth pair, plugged into the bridge.
    pub host_veth: String,
}

/// The network driver: IPAM state in a directory, nftables for NAT, netlink for links.
#[derive(Debug, Clone)]
pub struct Networks {
    ipam: Ipam,
    firewall: Firewall,
}

impl Networks {
    /// A driver keeping its state (address leases, hosts files) in `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Networks {
        Networks {
            ipam: Ipam::new(state_dir),
            firewall: Firewall::default(),
        }
    }

    /// Use this firewall (e.g. another `nft` binary).
    pub fn with_firewall(mut self, firewall: Firewall) -> Networks {
        self.firewall = firewall;
        self
    }

    /// The address store.
    pub fn ipam(&self) -> &Ipam {
        &self.ipam
    }

    /// The firewall.
    pub fn firewall(&self) -> &Firewall {
        &self.firewall
    }

    /// The hosts file of network `name`: every container on it, by name. Give it to
    /// [`crate::sandbox::Sandbox::start`] so containers can reach each other by name.
    pub fn hosts_file(&self, name: &str) -> PathBuf {
        self.ipam.dir().join("hosts").join(name)
    }

    /// Create network `name`: bridge `bridge` with the subnet's gateway address, routing on,
    /// masquerade and isolation rules. On failure, whatever was made is removed again.
    pub fn create(&self, name: &str, bridge: &str, subnet: Subnet) -> Result<(), Error> {
        // Check everything we can before changing anything.
        check_name("network", name, 63)?;
        check_name("bridge", bridge, 15)?; // IFNAMSIZ - 1
        self.firewall.check()?;
        let mut nl = Netlink::open()?;
        if nl.link(bridge).is_ok() {
            return Err(Error::BridgeTaken(bridge.to_string()));
        }
        let links = nl.links()?;
        if let Some(a) = nl
            .addresses()?
            .into_iter()
            .find(|a| subnet.contains(a.addr))
        {
            let interface = links
                .iter()
                .find(|l| l.index == a.index)
                .map(|l| l.name.clone());
            return Err(Error::SubnetInUse {
                subnet,
                addr: a.addr,
                interface: interface.unwrap_or_default(),
            });
        }
        self.ipam.update(|state| -> Result<(), Error> {
            state.add_network(name, bridge, subnet)?;
            self.write_hosts(name, state)
        })?;
        // From here on, a failure rolls back through the same code as a normal removal.
        // ANCHOR: create
        let mut setup = || -> Result<(), Error> {
            nl.add_bridge(bridge)?;
            let br = nl.link(bridge)?;
            nl.add_address(br.index, subnet.gateway(), subnet.prefix())?;
            nl.set_up(br.index)?;
            // Route between interfaces (bridge <-> anything else): per-namespace sysctl.
            write_sysctl("net/ipv4/ip_forward", "1")?;
            // Let packets to 127.0.0.1 be routed out of the bridge after DNAT (published ports
            // reached from the host itself); without it the kernel drops them as "martian".
            write_sysctl(&format!("net/ipv4/conf/{bridge}/route_localnet"), "1")?;
            self.firewall.ensure_table()?;
            self.firewall.add_network(name, bridge, subnet)?;
            Ok(())
        };
        // ANCHOR_END: create
        setup().inspect_err(|_| {
            let _ = self.remove(name);
        })
    }

    /// Remove network `name`: disconnect every container, then delete its rules, its bridge
    /// and its record — the mirror of [`Networks::create`]. Goes on past failures.
    pub fn remove(&self, name: &str) -> Result<(), TeardownErrors> {
        let mut errors = Vec::new();
        let record = match self.ipam.read().map(|mut s| s.network(name).cloned()) {
            Ok(Ok(record)) => record,
            Ok(Err(e)) | Err(e) => return Err(TeardownErrors(vec![e.into()])),
        };
        for owner in record.leases.values() {
            if let Err(TeardownErrors(e)) = self.disconnect(name, owner) {
                errors.extend(e);
            }
        }
        errors.extend(
            self.firewall
                .remove_network(name, &record.bridge)
                .into_iter()
                .map(Error::from),
        );
        if let Err(e) = delete_link_if_present(&record.bridge) {
            errors.push(e);
        }
        let forget = self.ipam.update(|state| -> Result<bool, Error> {
            state.networks.remove(name);
            Ok(state.networks.is_empty())
        });
        match forget {
            Ok(last) => {
                if last {
                    errors.extend(self.firewall.delete_table().err().map(Error::from));
                }
            }
            Err(e) => errors.push(e),
        }
        let _ = fs::remove_file(self.hosts_file(name));
        TeardownErrors(errors).into_result()
    }

    /// Connect the container whose network namespace is `ns` to network `network` under the
    /// name `container`: lease an address, create a veth pair with `eth0` inside, plug the
    /// host end into the bridge, set addresses, links up and the default route.
    pub fn connect(&self, network: &str, container: &str, ns: &NetNs) -> Result<Attachment, Error> {
        check_name("container", container, 63)?;
        let (addr, record) = self.ipam.update(|state| -> Result<_, Error> {
            let addr = state.allocate(network, container)?;
            self.write_hosts(network, state)?;
            Ok((addr, state.network(network)?.clone()))
        })?;
        let gateway = record.subnet.gateway();
        let host_veth = host_veth_name(addr);
        // ANCHOR: connect
        let setup = || -> Result<String, Error> {
            // Inside the container: a socket opened from a thread in its namespace.
            let mut inside = Netlink::open_in(ns)?;
            let eth = first_free_eth(&mut inside)?; // eth0, or eth1 on a second network
            let mut nl = Netlink::open()?;
            // One request makes both ends; the peer is born inside the container.
            nl.add_veth(&host_veth, &eth, Some(ns))?;
            let veth = nl.link(&host_veth)?;
            let bridge = nl.link(&record.bridge)?;
            nl.set_master(veth.index, bridge.index)?;
            nl.set_up(veth.index)?;
            let lo = inside.link("lo")?;
            inside.set_up(lo.index)?;
            let inner = inside.link(&eth)?;
            inside.add_address(inner.index, addr, record.subnet.prefix())?;
            inside.set_up(inner.index)?;
            if !inside.routes()?.iter().any(|r| r.prefix == 0) {
                inside.add_default_route(gateway)?;
            }
            // Return only once both ends can carry packets (an event, not a guess).
            nl.wait_running(&host_veth, LINK_TIMEOUT)?;
            inside.wait_running(&eth, LINK_TIMEOUT)?;
            Ok(eth)
        };
        // ANCHOR_END: connect
        let interface = setup().inspect_err(|_| {
            let _ = self.disconnect(network, container);
        })?;
        Ok(Attachment {
            addr,
            interface,
            gateway,
            subnet: record.subnet,
            host_veth,
        })
    }

    /// Disconnect `container` from `network`: withdraw its published ports, delete the veth
    /// pair, release its address — the mirror of [`Networks::connect`]. Goes on past failures.
    // ANCHOR: disconnect
    pub fn disconnect(&self, network: &str, container: &str) -> Result<(), TeardownErrors> {
        let addr = match self.address_of(network, container) {
            Ok(addr) => addr,
            Err(e) => return Err(TeardownErrors(vec![e])),
        };
        let mut errors = Vec::new();
        errors.extend(self.firewall.unpublish_all(addr).err().map(Error::from));
        // Deleting our end deletes the container's eth0 too. If the container has already
        // exited, its namespace (and so the pair) is gone, which is fine.
        errors.extend(delete_link_if_present(&host_veth_name(addr)).err());
        let release = self.ipam.update(|state| -> Result<(), Error> {
            state.release(network, container)?;
            self.write_hosts(network, state)
        });
        errors.extend(release.err());
        TeardownErrors(errors).into_result()
    }
    // ANCHOR_END: disconnect

    /// Publish `host_port` on the host to `container_port` of `container` on `network`
    /// (like `docker run -p HOST:CONTAINER`).
    pub fn publish(
        &self,
        network: &str,
        container: &str,
        host_port: u16,
        container_port: u16,
    ) -> Result<PortMapping, Error> {
        if host_port == 0 || container_port == 0 {
            return Err(Error::PortZero);
        }
        let addr = self.address_of(network, container)?;
        let mapping = PortMapping {
            host_port,
            addr,
            port: container_port,
        };
        self.firewall.publish(mapping)?;
        Ok(mapping)
    }

    /// The record of network `name`.
    pub fn network(&self, name: &str) -> Result<NetworkRecord, Error> {
        Ok(self.ipam.read()?.network(name)?.clone())
    }

    fn address_of(&self, network: &str, container: &str) -> Result<Ipv4Addr, Error> {
        self.network(network)?
            .address_of(container)
            .ok_or_else(|| Error::NotConnected {
                container: container.to_string(),
                network: network.to_string(),
            })
    }

    /// Rewrite the network's hosts file *in place* (same inode), so sandboxes that bind-mounted
    /// it see the change. Called under the IPAM lock.
    fn write_hosts(&self, network: &str, state: &mut State) -> Result<(), Error> {
        let mut text = String::from("127.0.0.1\tlocalhost\n");
        for (addr, name) in &state.network(network)?.leases {
            text.push_str(&format!("{addr}\t{name}\n"));
        }
        let path = self.hosts_file(network);
        let write = || {
            fs::create_dir_all(path.parent().expect("hosts dir"))?;
            fs::write(&path, text) // O_TRUNC, not rename: keeps the inode
        };
        write().map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })
    }
}

/// The host end's name, derived from the leased address so teardown can find it from the
/// lease alone: 10.88.0.2 → `vl0a580002` (interface names are at most 15 bytes).
pub fn host_veth_name(addr: Ipv4Addr) -> String {
    format!("vl{:08x}", u32::from(addr))
}

/// The first of eth0, eth1… not yet taken in the container.
fn first_free_eth(inside: &mut Netlink) -> Result<String, Error> {
    let taken: Vec<String> = inside.links()?.into_iter().map(|l| l.name).collect();
    Ok((0..)
        .map(|n| format!("eth{n}"))
        .find(|n| !taken.contains(n))
        .expect("a free ethN"))
}

/// Names end up in interface names (15 bytes at most), file names and nft rule comments, so
/// only a safe alphabet is allowed: no '/', no quotes, no spaces, no newlines.
fn check_name(kind: &'static str, name: &str, max: usize) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    let ok = (1..=max).contains(&name.len())
        && name.chars().all(allowed)
        && !name.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName {
            kind,
            name: name.to_string(),
            max,
        })
    }
}

fn delete_link_if_present(name: &str) -> Result<(), Error> {
    let mut nl = Netlink::open()?;
    match nl.link(name) {
        Ok(link) => Ok(nl.delete_link(link.index)?),
        Err(netlink::Error::NoSuchLink(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Write a sysctl of the calling thread's network namespace (`/proc/sys/net/…`, sysctl(8)).
pub fn write_sysctl(key: &str, value: &str) -> Result<(), Error> {
    let path = PathBuf::from("/proc/sys").join(key);
    fs::write(&path, value).map_err(|source| Error::Write { path, source })
}
