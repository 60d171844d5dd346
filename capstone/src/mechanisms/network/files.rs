//! `/etc/hosts` and `/etc/resolv.conf` of a networked container: files in its directory,
//! bind-mounted (mount(2), MS_BIND) over the image's own before pivot_root(2), as Docker does.
//!
//! Names without a daemon: Docker answers names from a DNS server inside its daemon; we have
//! no daemon, so every command that plugs a container in or out rewrites the hosts file of
//! every container on the networks concerned. The rewrite truncates and writes the *same
//! inode* (a rename would leave the bind mount on the old file), so a running container sees
//! its new neighbours at once. Like Docker, the default network `bridge` gives no names, only
//! user-defined networks do.

use crate::mechanisms::volumes::resolve;
use crate::model::container::Container;
use crate::model::network::DEFAULT_NETWORK;
use crate::{Error, Result, store};
use nix::fcntl::{OFlag, open};
use nix::mount::{MsFlags, mount};
use nix::sys::stat::Mode;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// The two files, and where they go inside.
const FILES: [(&str, &str); 2] = [("hosts", "/etc/hosts"), ("resolv.conf", "/etc/resolv.conf")];

/// Whether the container has a network namespace of its own plugged into networks (not
/// `none`, not `host`): only then does it get our hosts and resolv.conf.
pub fn is_networked(c: &Container) -> bool {
    !matches!(c.host_config.network_mode.as_str(), "none" | "host")
}

/// In the container's process, before pivot_root(2): bind-mounts the engine's files over
/// `/etc/hosts` and `/etc/resolv.conf` of the new root (`root`). The image is untrusted: its
/// `/etc` or `/etc/hosts` may be a symlink (`/etc -> /etc` would point at the *host's* `/etc`
/// while we still see the host's `/`), so the targets are resolved inside the root with
/// openat2(2) `RESOLVE_IN_ROOT`, as volumes are (see [`resolve`]), and the mount goes onto the
/// descriptor found there, never onto a path a symlink could redirect.
///
/// [`resolve`]: crate::mechanisms::volumes::resolve
pub fn bind_into(record: &Container, root: &Path) -> Result<()> {
    if !is_networked(record) {
        return Ok(());
    }
    let root_fd = open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(Error::sys(format!("open {}", root.display())))?;
    let dir = container_dir(record);
    for (file, target) in FILES {
        let source = dir.join(file);
        let fail = |why: String| crate::error::VolumeError::Target {
            host: source.clone(),
            destination: target.into(),
            why,
        };
        let inside = resolve::prepare(&root_fd, target, false).map_err(fail)?;
        mount(
            Some(&source),
            &resolve::fd_path(&inside.fd),
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| fail(format!("mount(2) MS_BIND: {e}")))?;
    }
    Ok(())
}

/// Before the container's process is cloned: writes its first hosts file and its resolv.conf
/// (if it is networked), for it to bind in while it makes its root filesystem — before it is
/// plugged in, which rewrites the hosts file in place.
pub fn write_initial(record: &Container) -> Result<()> {
    if !is_networked(record) {
        return Ok(());
    }
    write_initial_hosts(record)?;
    write_resolv_conf(record)
}

/// Writes the container's resolv.conf: the host's name servers, except loopback ones (a
/// `127.0.0.53` means nothing inside another network namespace); Google's when none is left,
/// as Docker does.
pub fn write_resolv_conf(record: &Container) -> Result<()> {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let mut lines: Vec<&str> = host
        .lines()
        .filter(|l| {
            let mut words = l.split_whitespace();
            match (words.next(), words.next()) {
                (Some("nameserver"), Some(addr)) => {
                    !addr.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback()) && addr != "::1"
                }
                (Some("search" | "options" | "domain"), _) => true,
                _ => false,
            }
        })
        .collect();
    let dns = &record.host_config.run_flags.dns;
    let given: Vec<String> = dns.iter().map(|a| format!("nameserver {a}")).collect();
    if !given.is_empty() {
        // `--dns`: these name servers instead of the host's.
        lines.retain(|l| !l.starts_with("nameserver"));
        lines.extend(given.iter().map(String::as_str));
    }
    if !lines.iter().any(|l| l.starts_with("nameserver")) {
        lines.extend(["nameserver 8.8.8.8", "nameserver 8.8.4.4"]);
    }
    write_in_place(
        &container_dir(record).join("resolv.conf"),
        &lines.join("\n"),
    )
}

/// Rewrites the hosts file of every container holding an address on `networks`, from the
/// IPAM leases (owner = short id). Called under the networks lock, after every plug-in and
/// unplug; reads records without their locks (they are replaced atomically).
pub fn refresh_hosts(paths: &store::Paths, networks: &[String]) -> Result<()> {
    let ipam = crate::store::networks::driver(paths)
        .ipam()
        .read()
        .map_err(::network::Error::from)?;
    let mut names: BTreeMap<String, Container> = BTreeMap::new();
    for c in records(paths) {
        names.insert(crate::model::ids::short(&c.id).to_string(), c);
    }
    let mut owners: Vec<&String> = ipam
        .networks
        .iter()
        .filter(|(n, _)| networks.contains(n))
        .flat_map(|(_, r)| r.leases.values())
        .collect();
    owners.sort();
    owners.dedup();
    for owner in owners {
        let Some(me) = names.get(owner.as_str()) else {
            continue;
        };
        let mut mine: Vec<(Ipv4Addr, &str)> = Vec::new();
        let mut peers: Vec<(Ipv4Addr, String)> = Vec::new();
        for (net, record) in &ipam.networks {
            let Some(addr) = record.address_of(owner) else {
                continue;
            };
            mine.push((addr, net));
            if net == DEFAULT_NETWORK {
                continue; // Docker's default bridge resolves no names
            }
            let mut on_net: Vec<(Ipv4Addr, String, &[String])> = Vec::new();
            for (peer_addr, peer) in &record.leases {
                if let Some(c) = names.get(peer.as_str()).filter(|_| peer != owner) {
                    let aliases = (c.network_settings.networks.get(net))
                        .map_or(&[][..], |e| e.aliases.as_slice());
                    let line = format!("{} {peer} {}", c.name, aliases.join(" "));
                    on_net.push((*peer_addr, line.trim_end().to_string(), aliases));
                }
            }
            rotate_replicas(&mut on_net, u32::from(addr) as usize);
            peers.extend(on_net.into_iter().map(|(a, line, _)| (a, line)));
        }
        // `--add-host NAME:host-gateway`: the gateway of its first network, the host's side.
        let gateway = (mine.first())
            .and_then(|(_, net)| ipam.networks.get(*net))
            .map(|r| r.subnet.gateway());
        let mut text = String::from(LOOPBACK) + &extra_hosts(me, gateway);
        if let Some((addr, _)) = mine.first() {
            text.push_str(&format!("{addr}\t{}\n", me.config.hostname));
        }
        for (addr, names) in peers {
            text.push_str(&format!("{addr}\t{names}\n"));
        }
        write_in_place(&container_dir(me).join("hosts"), &text)?;
    }
    Ok(())
}

/// Replicas of one service share its names (the same aliases on the network): a resolver
/// reading `/etc/hosts` takes the first line that matches, so every client would reach the
/// same replica. Docker's embedded DNS answers with every replica's address, shuffled anew
/// for each query (libnetwork's resolver). A file cannot change per lookup, so it changes per
/// reader instead: within each group of lines with the same aliases, the lines rotate by the
/// reader's own address (`turn`) — containers started one after another start on different
/// replicas. The lines keep their places; only who holds which place among the replicas
/// changes.
fn rotate_replicas(lines: &mut [(Ipv4Addr, String, &[String])], turn: usize) {
    let mut groups: BTreeMap<&[String], Vec<usize>> = BTreeMap::new();
    for (place, (_, _, aliases)) in lines.iter().enumerate() {
        if !aliases.is_empty() {
            groups.entry(*aliases).or_default().push(place);
        }
    }
    let mut moves: Vec<(usize, usize)> = Vec::new();
    for places in groups.values().filter(|p| p.len() > 1) {
        let n = places.len();
        for (i, to) in places.iter().enumerate() {
            moves.push((*to, places[(i + turn) % n]));
        }
    }
    let before: Vec<(Ipv4Addr, String)> = lines.iter().map(|(a, l, _)| (*a, l.clone())).collect();
    for (to, from) in moves {
        (lines[to].0, lines[to].1) = before[from].clone();
    }
}

/// Writes a fresh hosts file with only loopback and the hostname (before any address).
pub fn write_initial_hosts(record: &Container) -> Result<()> {
    let text = format!(
        "{LOOPBACK}{}127.0.1.1\t{}\n",
        extra_hosts(record, None),
        record.config.hostname
    );
    write_in_place(&container_dir(record).join("hosts"), &text)
}

/// The first lines of every hosts file.
const LOOPBACK: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

/// `--add-host NAME:IP` lines, as `IP\tNAME`; `host-gateway` is `gateway` (left out while
/// the container has no address yet).
fn extra_hosts(record: &Container, gateway: Option<Ipv4Addr>) -> String {
    let extra = &record.host_config.run_flags.extra_hosts;
    (extra.iter())
        .filter_map(|h| h.split_once(':'))
        .filter_map(|(name, ip)| match ip {
            crate::model::run_flags::HOST_GATEWAY => gateway.map(|g| format!("{g}\t{name}\n")),
            ip => Some(format!("{ip}\t{name}\n")),
        })
        .collect()
}

/// O_TRUNC and write: the same inode, so a bind mount of it sees the new text.
fn write_in_place(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, format!("{}\n", text.trim_end())).map_err(Error::io("write", path))
}

/// The container's directory (its layer dirs' parent).
fn container_dir(record: &Container) -> PathBuf {
    record
        .rootfs
        .upper_dir
        .parent()
        .map_or_else(PathBuf::new, Path::to_path_buf)
}

/// Every container record, read without locks (each is replaced atomically).
fn records(paths: &store::Paths) -> Vec<Container> {
    let Ok(dir) = std::fs::read_dir(paths.containers()) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            crate::store::containers::load(paths, &e.file_name().to_string_lossy()).ok()
        })
        .collect()
}
