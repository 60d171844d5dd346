//! A container on a network: connect it (address, veth pair, routes), publish its ports,
//! disconnect it — setup and teardown as mirror images.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::names::{check_name, first_free_eth, host_veth_name};
use super::{Error, Networks, TeardownErrors, delete_link_if_present};
use crate::firewall::{PortMapping, Protocol};
use crate::netlink::Netlink;
use crate::netns::NetNs;
use crate::subnet::Subnet;

/// How long [`Networks::connect`] waits for a new veth pair to come up.
const LINK_TIMEOUT: Duration = Duration::from_secs(10);

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

impl Networks {
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
            add_veth_over_stale(&mut nl, &host_veth, &eth, ns)?;
            let veth = nl.link(&host_veth)?;
            let bridge = nl.link(&record.bridge)?;
            nl.set_master(veth.index, bridge.index)?;
            nl.set_up(veth.index)?;
            let lo = inside.link("lo")?;
            inside.set_up(lo.index)?;
            let inner = inside.link(&eth)?;
            inside.add_address(inner.index, addr, record.subnet.prefix())?;
            inside.set_up(inner.index)?;
            // An internal network gives no way out: no default route through its bridge.
            if !record.internal && !inside.routes()?.iter().any(|r| r.prefix == 0) {
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
        self.teardown(network, container, true, true)
    }

    /// [`Networks::disconnect`] for a caller that knows it published no port for `container`
    /// (an engine keeps that in its record): the same teardown without asking nft(8), which
    /// costs a process start.
    pub fn disconnect_unpublished(
        &self,
        network: &str,
        container: &str,
    ) -> Result<(), TeardownErrors> {
        self.teardown(network, container, false, true)
    }

    /// [`Networks::disconnect`] for a container whose network namespace died with its last
    /// process: withdraws its ports (if it `published` any) and releases its address, but
    /// leaves the veth pair to the kernel, which deletes every interface of a dead namespace
    /// — both ends of the pair — in its own worker (network_namespaces(7)). Deleting the host
    /// end here as well would only make the caller wait for that: unregistering a device waits
    /// out RCU grace periods, about 15 ms. If the address is leased again before the kernel
    /// is done, [`Networks::connect`] deletes the stale pair itself.
    pub fn disconnect_exited(
        &self,
        network: &str,
        container: &str,
        published: bool,
    ) -> Result<(), TeardownErrors> {
        self.teardown(network, container, published, false)
    }

    /// The one teardown behind the three above: `ports` withdraws published ports (asking
    /// nft(8)), `delete_veth` deletes the pair; the address is always released.
    fn teardown(
        &self,
        network: &str,
        container: &str,
        ports: bool,
        delete_veth: bool,
    ) -> Result<(), TeardownErrors> {
        let addr = match self.address_of(network, container) {
            Ok(addr) => addr,
            Err(e) => return Err(TeardownErrors(vec![e])),
        };
        let mut errors = Vec::new();
        if ports {
            errors.extend(self.firewall.unpublish_all(addr).err().map(Error::from));
        }
        // Deleting our end deletes the container's eth0 too. If the kernel has already deleted
        // the pair with a dead namespace, there is nothing to delete, which is fine.
        if delete_veth {
            errors.extend(delete_link_if_present(&host_veth_name(addr)).err());
        }
        let release = self.ipam.update(|state| -> Result<(), Error> {
            state.release(network, container)?;
            self.write_hosts(network, state)
        });
        errors.extend(release.err());
        TeardownErrors(errors).into_result()
    }
    // ANCHOR_END: disconnect

    /// Publish TCP `host_port` on the host to `container_port` of `container` on `network`
    /// (like `docker run -p HOST:CONTAINER`).
    pub fn publish(
        &self,
        network: &str,
        container: &str,
        host_port: u16,
        container_port: u16,
    ) -> Result<PortMapping, Error> {
        self.publish_protocol(network, container, Protocol::Tcp, host_port, container_port)
    }

    /// [`Networks::publish`] for either protocol (like `docker run -p HOST:CONTAINER/udp`).
    pub fn publish_protocol(
        &self,
        network: &str,
        container: &str,
        proto: Protocol,
        host_port: u16,
        container_port: u16,
    ) -> Result<PortMapping, Error> {
        if host_port == 0 || container_port == 0 {
            return Err(Error::PortZero);
        }
        let addr = self.address_of(network, container)?;
        let mapping = PortMapping {
            proto,
            host_port,
            addr,
            port: container_port,
        };
        self.firewall.publish(mapping)?;
        Ok(mapping)
    }

    fn address_of(&self, network: &str, container: &str) -> Result<Ipv4Addr, Error> {
        self.network(network)?
            .address_of(container)
            .ok_or_else(|| Error::NotConnected {
                container: container.to_string(),
                network: network.to_string(),
            })
    }
}

/// `ip link add HOST type veth peer name ETH netns NS`, where a pair of the same name left by
/// the address's previous holder is replaced: that container may have exited a moment ago and
/// left its pair to the kernel ([`Networks::disconnect_exited`]), which deletes it in its own
/// time. The lease is ours now (IPAM hands an address to one container at a time), so a link
/// of this name is stale: delete it and try again.
fn add_veth_over_stale(nl: &mut Netlink, host: &str, eth: &str, ns: &NetNs) -> Result<(), Error> {
    match nl.add_veth(host, eth, Some(ns)) {
        Err(e) if e.is_already_exists() => {
            delete_link_if_present(host)?;
            Ok(nl.add_veth(host, eth, Some(ns))?)
        }
        other => Ok(other?),
    }
}
