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
//!
//! This file holds the network's lifecycle (create, remove); [`attach`] a container's
//! (connect, disconnect, publish); [`names`] the names and the hosts file; [`error`] the
//! errors.

use std::fs;
use std::path::PathBuf;

use crate::firewall::Firewall;
use crate::ipam::{Ipam, NetworkRecord};
use crate::netlink::{self, Netlink};
use crate::subnet::Subnet;

pub mod attach;
pub mod error;
pub mod names;

pub use attach::Attachment;
pub use error::{Error, TeardownErrors};
use names::check_name;
pub use names::host_veth_name;

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
        self.create_with(name, bridge, subnet, false)
    }

    /// [`Networks::create`], or with `internal` an *internal* network (Docker's `--internal`):
    /// its containers reach each other, but get no default route and the firewall drops
    /// whatever would leave the bridge for another interface, or come in from one.
    pub fn create_with(
        &self,
        name: &str,
        bridge: &str,
        subnet: Subnet,
        internal: bool,
    ) -> Result<(), Error> {
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
            state.network(name)?.internal = internal;
            self.write_hosts(name, state)
        })?;
        // From here on, a failure rolls back through the same code as a normal removal.
        self.bring_up(name, bridge, subnet, internal)
            .inspect_err(|_| {
                let _ = self.remove(name);
            })
    }

    /// Make sure recorded network `name` has its bridge in this namespace: after a reboot,
    /// or when the state is used from another network namespace, the record survives but the
    /// bridge, sysctls and rules are gone. Recreates them (as `create` does) only if the
    /// bridge is missing; an existing bridge is left alone.
    pub fn ensure_up(&self, name: &str) -> Result<(), Error> {
        let record = self.network(name)?;
        match Netlink::open()?.link(&record.bridge) {
            Ok(_) => Ok(()),
            Err(netlink::Error::NoSuchLink(_)) => {
                // Stale rules of a bridge that vanished would be duplicated: drop them first.
                let _ = self.firewall.remove_network(name, &record.bridge);
                self.bring_up(name, &record.bridge, record.subnet, record.internal)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The bridge, its address, routing and the firewall rules of a recorded network.
    fn bring_up(
        &self,
        name: &str,
        bridge: &str,
        subnet: Subnet,
        internal: bool,
    ) -> Result<(), Error> {
        let mut nl = Netlink::open()?;
        // ANCHOR: create
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
        // ANCHOR_END: create
        if internal {
            self.firewall.seal_network(name, bridge)?;
        }
        Ok(())
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

    /// The record of network `name`.
    pub fn network(&self, name: &str) -> Result<NetworkRecord, Error> {
        Ok(self.ipam.read()?.network(name)?.clone())
    }
}

/// Delete the interface `name` unless it is already gone. A veth pair whose other end lived
/// in a namespace that just died disappears on its own, a little later (the kernel tears the
/// namespace down in a work queue), so it can vanish between our lookup and our delete: the
/// kernel then answers ENODEV, which means the same as not finding it.
fn delete_link_if_present(name: &str) -> Result<(), Error> {
    let mut nl = Netlink::open()?;
    let index = match nl.link(name) {
        Ok(link) => link.index,
        Err(netlink::Error::NoSuchLink(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    match nl.delete_link(index) {
        Err(e) if e.is_no_such_device() => Ok(()),
        other => Ok(other?),
    }
}

/// Write a sysctl of the calling thread's network namespace (`/proc/sys/net/…`, sysctl(8)).
pub fn write_sysctl(key: &str, value: &str) -> Result<(), Error> {
    let path = PathBuf::from("/proc/sys").join(key);
    fs::write(&path, value).map_err(|source| Error::Write { path, source })
}
