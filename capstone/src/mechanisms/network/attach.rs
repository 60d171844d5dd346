//! Plugging a container into its networks and out again, with lesson 06's
//! [`::network::Networks::connect`]: an address from IPAM, a veth(4) pair from the network's
//! bridge into the container's network namespace (network_namespaces(7)), `eth0` with the
//! address and the default route inside, set over rtnetlink(7); then the published ports
//! (DNAT in nft(8)) and the hosts files.
//!
//! [`connect_all`] runs in the monitor while the container's first process is held at the
//! gate (cloned into its namespaces, not yet running anything of the image), so the command
//! starts with its network ready, and a failure leaves nothing: what was made is undone and
//! the process is killed before it ran. [`disconnect_after_exit`] is the mirror image, run when
//! the container exits, and [`disconnect_all`] runs again (harmlessly) when it is removed.

use super::files;
use crate::model::container::Container;
use crate::model::ids;
use crate::model::network::{Endpoint, NetworkSettings};
use crate::model::ports::PortBinding;
use crate::{Error, Result, store};
use ::network::NetNs;
use ::network::firewall::Protocol;
use ::network::netlink::Netlink;

/// The name a container's address is leased under: its short id (lesson 06 allows 63
/// characters; Docker's ids are 64).
pub fn owner(record: &Container) -> &str {
    ids::short(&record.id)
}

/// At the gate: plugs container `record`, whose first process is `pid`, into every network
/// its record names, publishes its ports and rewrites the hosts files (the first ones were
/// written before the clone, [`files::write_initial`]). Returns the settings to record. On
/// failure, undoes all of it.
// ANCHOR: connect_all
pub fn connect_all(paths: &store::Paths, record: &Container, pid: i32) -> Result<NetworkSettings> {
    let mut settings = record.network_settings.clone();
    if !files::is_networked(record) {
        return Ok(settings);
    }
    let _lock = crate::store::networks::lock(paths)?;
    let ns = NetNs::of_pid(pid as u32).map_err(::network::Error::from)?;
    // `--network`'s network first: it gets eth0, the default route and the published ports.
    let mut names: Vec<String> = settings.networks.keys().cloned().collect();
    names.sort_by_key(|n| *n != record.host_config.network_mode);
    let result = (|| -> Result<()> {
        for (i, name) in names.iter().enumerate() {
            let endpoint = plug(paths, record, name, &ns)?;
            settings.networks.insert(name.clone(), endpoint);
            if i == 0 {
                settings.ports = publish(paths, record, name)?;
            }
        }
        files::refresh_hosts(paths, &names)
    })();
    if let Err(e) = result {
        unplug(paths, record, &names, Unplug::DeleteVeth);
        return Err(e);
    }
    Ok(settings)
}
// ANCHOR_END: connect_all

/// On `rm`, or when a dead monitor is noticed: withdraws the published ports, deletes the
/// veth pairs, releases the addresses and refreshes the neighbours' hosts files. Safe to
/// repeat.
pub fn disconnect_all(paths: &store::Paths, record: &Container) -> Result<()> {
    disconnect_each(paths, record, Unplug::DeleteVeth)
}

/// The monitor's teardown once the container's last process has exited: as
/// [`disconnect_all`], but the veth pairs are left to the kernel, which deletes them with the
/// dead network namespace (lesson 06's `disconnect_exited`) — the monitor does not wait the
/// ~15 ms that deleting one takes.
pub fn disconnect_after_exit(paths: &store::Paths, record: &Container) -> Result<()> {
    disconnect_each(paths, record, Unplug::LeaveVethToKernel)
}

fn disconnect_each(paths: &store::Paths, record: &Container, how: Unplug) -> Result<()> {
    if !files::is_networked(record) {
        return Ok(());
    }
    let _lock = crate::store::networks::lock(paths)?;
    let names: Vec<String> = record.network_settings.networks.keys().cloned().collect();
    unplug(paths, record, &names, how);
    files::refresh_hosts(paths, &names)
}

/// `network connect NET CONTAINER`: a running container gets one more interface (`eth1`…)
/// at once; a stopped one gets it when it starts.
pub fn connect(
    paths: &store::Paths,
    record: &Container,
    net: &str,
    aliases: &[String],
) -> Result<()> {
    if !files::is_networked(record) {
        return Err(Error::invalid(
            "network connect",
            record.name.as_str(),
            "a container on the host's network or on `none` cannot join networks",
        ));
    }
    let info = crate::store::networks::find(paths, net)?;
    if record.network_settings.networks.contains_key(&info.name) {
        return Err(Error::invalid(
            "network connect",
            record.name.as_str(),
            format!(
                "the container is already connected to network {}",
                info.name
            ),
        ));
    }
    let mut endpoint = Endpoint {
        network_id: info.id.clone(),
        aliases: aliases.to_vec(),
        ..Endpoint::default()
    };
    if record.has_processes() {
        // Lock order: the networks lock is never held while taking a record's lock.
        let plugged = {
            let _lock = crate::store::networks::lock(paths)?;
            let ns = NetNs::of_pid(record.state.pid as u32).map_err(::network::Error::from)?;
            let endpoint = plug(paths, record, &info.name, &ns)?;
            files::refresh_hosts(paths, std::slice::from_ref(&info.name)).map(|()| endpoint)
        };
        match plugged {
            Ok(e) => {
                endpoint = Endpoint {
                    aliases: aliases.to_vec(),
                    ..e
                }
            }
            Err(e) => {
                disconnect_quietly(paths, record, &info.name);
                return Err(e);
            }
        }
    }
    let saved = crate::store::containers::update(paths, &record.id, |c| {
        c.network_settings
            .networks
            .insert(info.name.clone(), endpoint);
    });
    if saved.is_err() && record.has_processes() {
        disconnect_quietly(paths, record, &info.name);
    }
    saved.map(|_| ())
}

fn disconnect_quietly(paths: &store::Paths, record: &Container, name: &str) {
    if let Ok(_lock) = crate::store::networks::lock(paths) {
        unplug(paths, record, &[name.to_string()], Unplug::DeleteVeth);
        let _ = files::refresh_hosts(paths, &[name.to_string()]);
    }
}

/// `network disconnect NET CONTAINER`: the mirror of [`connect`].
pub fn disconnect(paths: &store::Paths, record: &Container, net: &str) -> Result<()> {
    let info = crate::store::networks::find(paths, net)?;
    if !record.network_settings.networks.contains_key(&info.name) {
        return Err(Error::invalid(
            "network disconnect",
            record.name.as_str(),
            format!("the container is not connected to network {}", info.name),
        ));
    }
    crate::store::containers::update(paths, &record.id, |c| {
        c.network_settings.networks.remove(&info.name);
    })?;
    let _lock = crate::store::networks::lock(paths)?;
    let names = [info.name];
    unplug(paths, record, &names, Unplug::DeleteVeth);
    files::refresh_hosts(paths, &names)
}

/// One network: lesson 06's connect, then the MAC address read back from inside.
fn plug(paths: &store::Paths, record: &Container, name: &str, ns: &NetNs) -> Result<Endpoint> {
    let info = crate::store::networks::find(paths, name)?;
    let nets = crate::store::networks::driver(paths);
    // After a reboot (or from another network namespace) the record outlives the bridge.
    nets.ensure_up(&info.name)?;
    // A lease left by a monitor that was killed: ours, and stale, since we are starting.
    let _ = nets.disconnect(&info.name, owner(record));
    let att = nets.connect(&info.name, owner(record), ns)?;
    let mac = Netlink::open_in(ns)
        .and_then(|mut nl| nl.link(&att.interface))
        .map(|l| l.mac.unwrap_or_default())
        .unwrap_or_default();
    Ok(Endpoint {
        network_id: info.id,
        ip_address: att.addr.to_string(),
        ip_prefix_len: att.subnet.prefix(),
        gateway: att.gateway.to_string(),
        mac_address: mac,
        interface: att.interface,
        // Aliases are chosen at create (or connect) and kept across restarts.
        aliases: record
            .network_settings
            .networks
            .get(&info.name)
            .map(|e| e.aliases.clone())
            .unwrap_or_default(),
    })
}

/// The `-p` bindings on network `name`; `-p 80` takes a free host port now.
fn publish(paths: &store::Paths, record: &Container, name: &str) -> Result<Vec<PortBinding>> {
    let nets = crate::store::networks::driver(paths);
    let mut done = Vec::new();
    for wanted in &record.host_config.port_bindings {
        let mut binding = wanted.clone();
        if binding.host_port == 0 {
            binding.host_port = free_port(&nets, binding.proto())?;
        }
        nets.publish_protocol(
            name,
            owner(record),
            binding.proto(),
            binding.host_port,
            binding.container_port,
        )?;
        done.push(binding);
    }
    Ok(done)
}

/// A host port nobody listens on and we have not published for `proto`: the kernel's pick
/// for a socket of that protocol bound to port 0 (bind(2), ip(7)'s ephemeral range).
fn free_port(nets: &::network::Networks, proto: Protocol) -> Result<u16> {
    let published = nets.firewall().published().unwrap_or_default();
    let any = "0.0.0.0:0";
    for _ in 0..16 {
        let bound = match proto {
            Protocol::Tcp => std::net::TcpListener::bind(any).and_then(|l| l.local_addr()),
            Protocol::Udp => std::net::UdpSocket::bind(any).and_then(|s| s.local_addr()),
        };
        let port = bound.map_err(Error::io("bind a free port", any))?.port();
        let taken = published
            .iter()
            .any(|p| p.proto == proto && p.host_port == port);
        if port != 0 && !taken {
            return Ok(port);
        }
    }
    Err(Error::invalid(
        "-p",
        "",
        "found no free host port: give one, e.g. -p 8080:80",
    ))
}

/// Whether a teardown deletes the veth pairs itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unplug {
    /// The container's network namespace may still be alive: delete the pairs.
    DeleteVeth,
    /// Its last process has exited, so the namespace is dead and the kernel deletes them.
    LeaveVethToKernel,
}

/// Lesson 06's disconnect on each network, going on past errors (there is nothing more a
/// teardown could do about them; a later `rm` tries again).
fn unplug(paths: &store::Paths, record: &Container, names: &[String], how: Unplug) {
    let nets = crate::store::networks::driver(paths);
    // Without `-p`, nothing can be in nft's map for it: skip asking nft (a process start).
    let published = !record.host_config.port_bindings.is_empty();
    for name in names {
        let _ = match (how, published) {
            (Unplug::LeaveVethToKernel, _) => {
                nets.disconnect_exited(name, owner(record), published)
            }
            (Unplug::DeleteVeth, false) => nets.disconnect_unpublished(name, owner(record)),
            (Unplug::DeleteVeth, true) => nets.disconnect(name, owner(record)),
        };
    }
}
