//! Addresses and routes (`ip addr`, `ip route`): add them, list them.

use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::{Error, Netlink};

/// One IPv4 address on an interface, as `ip -4 addr` lists it (RTM_GETADDR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    /// The interface it is on.
    pub index: u32,
    /// The address itself.
    pub addr: Ipv4Addr,
    /// The prefix length (24 for a /24).
    pub prefix: u8,
}

/// One IPv4 route in the main table, as `ip -4 route` lists it (RTM_GETROUTE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Destination network (0.0.0.0 with prefix 0 for the default route).
    pub destination: Ipv4Addr,
    /// Destination prefix length.
    pub prefix: u8,
    /// Next hop, if the route goes through a router.
    pub gateway: Option<Ipv4Addr>,
    /// Outgoing interface index.
    pub oif: Option<u32>,
}

impl Netlink {
    /// Add an IPv4 address: `ip addr add ADDR/PREFIX dev X`. The kernel also adds the
    /// connected route for the subnet.
    pub fn add_address(&mut self, index: u32, addr: Ipv4Addr, prefix: u8) -> Result<(), Error> {
        // exercise 06.4 add-address: begin
        let mut msg = AddressMessage::default();
        msg.header.family = AddressFamily::Inet;
        msg.header.prefix_len = prefix;
        msg.header.index = index;
        msg.attributes
            .push(AddressAttribute::Local(IpAddr::V4(addr)));
        msg.attributes
            .push(AddressAttribute::Address(IpAddr::V4(addr)));
        let what = format!("ip addr add {addr}/{prefix} dev #{index}");
        self.ack(
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            &what,
        )
        // exercise 06.4: end
    }

    /// Every IPv4 address in this namespace (`ip -4 addr show`).
    pub fn addresses(&mut self) -> Result<Vec<Address>, Error> {
        let mut query = AddressMessage::default();
        query.header.family = AddressFamily::Inet;
        let answers = self.request(
            RouteNetlinkMessage::GetAddress(query),
            NLM_F_DUMP,
            "ip -4 addr show",
        )?;
        let mut found = Vec::new();
        for m in answers {
            let RouteNetlinkMessage::NewAddress(a) = m else {
                continue;
            };
            for attr in &a.attributes {
                if let AddressAttribute::Local(IpAddr::V4(addr)) = attr {
                    found.push(Address {
                        index: a.header.index,
                        addr: *addr,
                        prefix: a.header.prefix_len,
                    });
                }
            }
        }
        Ok(found)
    }

    /// Add the default route through `gateway`: `ip route add default via GATEWAY`.
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> Result<(), Error> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = AddressFamily::Inet;
        msg.header.table = libc::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Boot;
        msg.header.scope = RouteScope::Universe;
        msg.header.kind = RouteType::Unicast;
        msg.attributes
            .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway)));
        let what = format!("ip route add default via {gateway}");
        self.ack(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            &what,
        )
    }

    /// The IPv4 routes of the main table (`ip -4 route show`).
    pub fn routes(&mut self) -> Result<Vec<Route>, Error> {
        let mut query = RouteMessage::default();
        query.header.address_family = AddressFamily::Inet;
        let answers = self.request(
            RouteNetlinkMessage::GetRoute(query),
            NLM_F_DUMP,
            "ip -4 route show",
        )?;
        let mut found = Vec::new();
        for m in answers {
            let RouteNetlinkMessage::NewRoute(r) = m else {
                continue;
            };
            if r.header.table != libc::RT_TABLE_MAIN {
                continue; // the local and broadcast routes live in table "local"
            }
            let mut route = Route {
                destination: Ipv4Addr::UNSPECIFIED,
                prefix: r.header.destination_prefix_length,
                gateway: None,
                oif: None,
            };
            for attr in &r.attributes {
                match attr {
                    RouteAttribute::Destination(RouteAddress::Inet(d)) => route.destination = *d,
                    RouteAttribute::Gateway(RouteAddress::Inet(g)) => route.gateway = Some(*g),
                    RouteAttribute::Oif(i) => route.oif = Some(*i),
                    _ => {}
                }
            }
            found.push(route);
        }
        Ok(found)
    }
}
