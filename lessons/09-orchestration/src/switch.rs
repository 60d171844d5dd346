//! The switch: one network namespace holding a bridge, and a veth "cable" to each server.
//!
//! Real servers in a rack plug into an Ethernet switch. Here a bridge (a software switch,
//! ip-link(8) `type bridge`) in a namespace of its own plays that part, and a veth pair
//! (veth(4)) is each cable: one end, `serverN`, is a port of the bridge; the other end is the
//! server's `eth0`, created directly inside the server's namespace. The switch also owns the
//! address `10.9.0.254`, where the cluster's registry listens.
//!
//! Pulling a cable is `ip link set serverN down` on the switch's end: the server's `eth0`
//! loses its carrier and no frame crosses any more — a server cut off from the network while
//! it keeps running, which is exactly what a cluster must survive.

use std::net::Ipv4Addr;

use network::NetNs;
use network::netlink::Netlink;

use crate::{Result, checked};

/// The cluster's subnet: servers are `10.9.0.N`, the switch `10.9.0.254`.
pub const SUBNET_PREFIX: u8 = 24;

/// The switch's own address (the registry listens there).
pub const SWITCH_ADDR: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 254);

/// The name of the bridge inside the switch's namespace.
const BRIDGE: &str = "rack0";

/// The address of server `n` (1-based): `10.9.0.n`.
pub fn server_addr(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 9, 0, n)
}

/// A bridge in a network namespace of its own; freed by the kernel with the namespace.
pub struct Switch {
    netns: NetNs,
}

impl Switch {
    /// A new namespace with the bridge `rack0` up at `10.9.0.254/24`, and `lo` up.
    pub fn new() -> Result<Switch> {
        let netns = NetNs::new()?;
        let mut nl = Netlink::open_in(&netns)?;
        let lo = nl.link("lo")?;
        nl.set_up(lo.index)?;
        nl.add_bridge(BRIDGE)?;
        let bridge = nl.link(BRIDGE)?;
        nl.add_address(bridge.index, SWITCH_ADDR, SUBNET_PREFIX)?;
        nl.set_up(bridge.index)?;
        Ok(Switch { netns })
    }

    /// The switch's namespace (the registry runs in it).
    pub fn netns(&self) -> &NetNs {
        &self.netns
    }

    /// Plugs `server` in: a veth pair `port` (a bridge port, here) ↔ `eth0` (inside
    /// `server`), `eth0` given `addr/24`, both ends up — `ip link add PORT type veth peer
    /// name eth0 netns SERVER; ip link set PORT master rack0 up`.
    pub fn plug(&self, port: &str, server: &NetNs, addr: Ipv4Addr) -> Result<()> {
        let mut nl = Netlink::open_in(&self.netns)?;
        nl.add_veth(port, "eth0", Some(server))?;
        let bridge = nl.link(BRIDGE)?;
        let end = nl.link(port)?;
        nl.set_master(end.index, bridge.index)?;
        nl.set_up(end.index)?;
        let mut inside = Netlink::open_in(server)?;
        for name in ["lo", "eth0"] {
            let link = inside.link(name)?;
            if name == "eth0" {
                inside.add_address(link.index, addr, SUBNET_PREFIX)?;
            }
            inside.set_up(link.index)?;
        }
        Ok(())
    }

    /// Pulls the cable of `port` out (`up = false`) or plugs it back in (`up = true`):
    /// `ip link set PORT down|up`, run in the switch's namespace.
    pub fn set_cable(&self, port: &str, up: bool) -> Result<()> {
        let state = if up { "up" } else { "down" };
        let out = self
            .netns
            .command("ip")
            .args(["link", "set", port, state])
            .output();
        checked(&format!("ip link set {port} {state}"), out).map(drop)
    }

    /// `ip -br link` of the switch: its ports and whether each is up.
    pub fn ports(&self) -> Result<String> {
        let out = self.netns.command("ip").args(["-br", "link"]).output();
        checked("ip -br link", out)
    }
}
