//! A pretend "outside world" for NAT and published ports, made of namespaces only.
//!
//! To show masquerade and DNAT we need a machine outside the host. Rather than send a single
//! packet onto a real network, [`Uplink::create`] makes one more network namespace, joined to
//! the host by a veth pair on 203.0.113.0/24 (TEST-NET-3, a range reserved for
//! documentation by RFC 5737, so it never collides with a real network). The host is
//! 203.0.113.1; the outside is 203.0.113.2 and has *no* route to the containers' subnet, just
//! as a real router on the internet has none to your 10.x containers.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::netlink::Netlink;
use crate::netns::NetNs;
use crate::network::Error;

/// The host's address on the uplink.
pub const HOST_ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
/// The outside machine's address.
pub const OUTSIDE_ADDR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 2);

/// The outside namespace, wired to the calling thread's namespace (the host).
pub struct Uplink {
    /// The outside machine's network namespace; run servers or clients in it.
    pub outside: NetNs,
    /// The host's end of the cable.
    pub host_link: String,
}

impl Uplink {
    /// Create the outside namespace and the cable `host_link` <-> `eth0` (veth(4)), addresses
    /// on both ends, links up. The host gets the uplink as its default route, so masqueraded
    /// container traffic leaves through it.
    pub fn create(host_link: &str) -> Result<Uplink, Error> {
        let outside = NetNs::new()?;
        let mut host = Netlink::open()?;
        host.add_veth(host_link, "eth0", Some(&outside))?;
        let link = host.link(host_link)?;
        host.add_address(link.index, HOST_ADDR, 24)?;
        host.set_up(link.index)?;
        if !host.routes()?.iter().any(|r| r.prefix == 0) {
            host.add_default_route(OUTSIDE_ADDR)?;
        }
        let mut out = Netlink::open_in(&outside)?;
        let lo = out.link("lo")?;
        out.set_up(lo.index)?;
        let eth0 = out.link("eth0")?;
        out.add_address(eth0.index, OUTSIDE_ADDR, 24)?;
        out.set_up(eth0.index)?;
        host.wait_running(host_link, Duration::from_secs(10))?;
        out.wait_running("eth0", Duration::from_secs(10))?;
        Ok(Uplink {
            outside,
            host_link: host_link.to_string(),
        })
    }
}
