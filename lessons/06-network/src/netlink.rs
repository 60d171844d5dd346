//! A small synchronous rtnetlink client: links, addresses and routes.
//!
//! `ip link`, `ip addr` and `ip route` are thin front ends to one kernel interface: a
//! `NETLINK_ROUTE` socket (netlink(7), rtnetlink(7)). We send the same messages they send,
//! built with the `netlink-packet-route` crate, and read the kernel's answer. No async runtime:
//! every call sends one request and waits for its acknowledgement (or error), like netavark's
//! `src/network/netlink.rs`.
//!
//! A netlink socket belongs to the network namespace of the thread that *created* it, and
//! keeps talking to that namespace whichever thread uses it later. [`Netlink::open_in`] uses
//! that: it opens the socket from a thread inside another namespace, so the rest of the
//! program can configure a container's interfaces without ever leaving its own namespace.

use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::netns::NetNs;

/// What can go wrong talking rtnetlink.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// socket(2)/bind(2)/send(2)/recv(2) on the netlink socket failed.
    #[error("netlink socket: {0}")]
    Socket(#[source] std::io::Error),
    /// The kernel refused a request; `what` says which one (errno from netlink(7) NLMSG_ERROR).
    #[error("{what}: {source}")]
    Kernel {
        /// The request, in `ip` words (e.g. "ip link add br0 type bridge").
        what: String,
        /// The errno the kernel answered with.
        source: std::io::Error,
    },
    /// The kernel's answer could not be decoded.
    #[error("could not decode a netlink message: {0}")]
    Decode(String),
    /// No interface has this name in this network namespace.
    #[error("no network interface named {0:?} in this network namespace")]
    NoSuchLink(String),
    /// A link's operational state did not become UP in time.
    #[error(
        "interface {name:?} did not come up within {timeout:?}: check that both ends of the veth pair are up"
    )]
    NotRunning {
        /// The interface.
        name: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// Opening the socket inside another namespace failed.
    #[error(transparent)]
    Netns(#[from] crate::netns::Error),
}

/// One network interface, as `ip link show` lists it (RTM_GETLINK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The interface index (ifindex), unique within its namespace.
    pub index: u32,
    /// The interface name (at most 15 bytes, IFNAMSIZ).
    pub name: String,
    /// Whether the administrative `UP` flag is set.
    pub up: bool,
    /// The driver kind for virtual links ("veth", "bridge"); `None` for `lo` and hardware.
    pub kind: Option<String>,
    /// The ifindex of the bridge this link is plugged into, if any (IFLA_MASTER).
    pub master: Option<u32>,
    /// Whether the operational state is UP (IFLA_OPERSTATE): the link can carry packets now,
    /// which for a veth means both ends are up and the kernel has activated its queue.
    pub running: bool,
}

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

/// A synchronous connection to the kernel's routing subsystem in one network namespace.
pub struct Netlink {
    socket: Socket,
    sequence: u32,
    /// The namespace the socket talks to, to open more sockets there (for events).
    ns: NetNs,
}

impl Netlink {
    /// Open a `NETLINK_ROUTE` socket (netlink(7)) in the calling thread's network namespace.
    pub fn open() -> Result<Self, Error> {
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(Error::Socket)?;
        socket.bind_auto().map_err(Error::Socket)?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(Error::Socket)?;
        Ok(Netlink {
            socket,
            sequence: 0,
            ns: NetNs::current()?,
        })
    }

    /// Open a socket that talks to `ns`: created by a thread that setns(2)'d into `ns`, so the
    /// socket stays bound to that namespace for the rest of its life.
    pub fn open_in(ns: &NetNs) -> Result<Self, Error> {
        ns.run(Netlink::open)?
    }

    /// Every interface in this namespace (`ip link show`).
    pub fn links(&mut self) -> Result<Vec<Link>, Error> {
        let answers = self.request(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            NLM_F_DUMP,
            "ip link show",
        )?;
        Ok(answers
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(link_from_message(&link)),
                _ => None,
            })
            .collect())
    }

    /// The interface called `name`, or [`Error::NoSuchLink`].
    pub fn link(&mut self, name: &str) -> Result<Link, Error> {
        self.links()?
            .into_iter()
            .find(|l| l.name == name)
            .ok_or_else(|| Error::NoSuchLink(name.to_string()))
    }

    /// Wait until link `name` is operationally UP, for at most `timeout`.
    ///
    /// Setting a link up is asynchronous: the kernel's "linkwatch" worker notices the carrier
    /// and activates the link's transmit queue a little later (up to a second), and packets
    /// sent before that are dropped — the first ping then waits for an ARP retry. So we
    /// subscribe to link events (the RTNLGRP_LINK multicast group, rtnetlink(7)), check the
    /// current state, and otherwise wait for the event that says UP.
    // ANCHOR: wait_running
    pub fn wait_running(&mut self, name: &str, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        let events = self.ns.run(|| -> Result<Socket, Error> {
            let mut events = Socket::new(NETLINK_ROUTE).map_err(Error::Socket)?;
            events.bind_auto().map_err(Error::Socket)?;
            events
                .add_membership(libc::RTNLGRP_LINK)
                .map_err(Error::Socket)?;
            Ok(events)
        })??;
        // Subscribed first, then checked: an event between the two cannot be missed.
        while !self.link(name)?.running {
            let left = deadline.saturating_duration_since(Instant::now());
            let left_ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
            let mut fds = [PollFd::new(events.as_fd(), PollFlags::POLLIN)];
            let ready =
                poll(&mut fds, PollTimeout::from(left_ms)).map_err(|e| Error::Socket(e.into()))?;
            if ready == 0 {
                let name = name.to_string();
                return Err(Error::NotRunning { name, timeout });
            }
            // Drain the event; the loop re-reads the link's state either way.
            events.recv_from_full().map_err(Error::Socket)?;
        }
        Ok(())
    }
    // ANCHOR_END: wait_running

    /// Create a veth pair `name` <-> `peer` (veth(4)); with `peer_ns`, the peer end is created
    /// directly inside that namespace (IFLA_NET_NS_FD on the peer), like
    /// `ip link add NAME type veth peer name PEER netns NS`.
    // ANCHOR: add_veth
    pub fn add_veth(
        &mut self,
        name: &str,
        peer: &str,
        peer_ns: Option<&NetNs>,
    ) -> Result<(), Error> {
        let mut peer_msg = LinkMessage::default();
        peer_msg
            .attributes
            .push(LinkAttribute::IfName(peer.to_string()));
        if let Some(ns) = peer_ns {
            peer_msg
                .attributes
                .push(LinkAttribute::NetNsFd(ns.as_raw_fd()));
        }
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_msg))),
        ]));
        self.create_link(
            msg,
            &format!("ip link add {name} type veth peer name {peer}"),
        )
    }
    // ANCHOR_END: add_veth

    /// Create a software bridge (a virtual switch, like `docker0`):
    /// `ip link add NAME type bridge`.
    pub fn add_bridge(&mut self, name: &str) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        self.create_link(msg, &format!("ip link add {name} type bridge"))
    }

    /// Set the administrative UP flag (IFF_UP): `ip link set dev X up`.
    pub fn set_up(&mut self, index: u32) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        self.ack(
            RouteNetlinkMessage::SetLink(msg),
            0,
            &format!("ip link set dev #{index} up"),
        )
    }

    /// Plug an interface into a bridge (IFLA_MASTER): `ip link set dev X master BR`.
    pub fn set_master(&mut self, index: u32, bridge: u32) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes.push(LinkAttribute::Controller(bridge));
        let what = format!("ip link set dev #{index} master #{bridge}");
        self.ack(RouteNetlinkMessage::SetLink(msg), 0, &what)
    }

    /// Move an interface into another network namespace (IFLA_NET_NS_FD):
    /// `ip link set dev X netns NS`. It disappears from this namespace.
    pub fn move_to(&mut self, index: u32, ns: &NetNs) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes.push(LinkAttribute::NetNsFd(ns.as_raw_fd()));
        let what = format!("ip link set dev #{index} netns <fd>");
        self.ack(RouteNetlinkMessage::SetLink(msg), 0, &what)
    }

    /// Delete an interface (`ip link del`). Deleting one end of a veth pair deletes both ends.
    pub fn delete_link(&mut self, index: u32) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        self.ack(
            RouteNetlinkMessage::DelLink(msg),
            0,
            &format!("ip link del #{index}"),
        )
    }

    /// Add an IPv4 address: `ip addr add ADDR/PREFIX dev X`. The kernel also adds the
    /// connected route for the subnet.
    pub fn add_address(&mut self, index: u32, addr: Ipv4Addr, prefix: u8) -> Result<(), Error> {
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

    fn create_link(&mut self, msg: LinkMessage, what: &str) -> Result<(), Error> {
        // NLM_F_EXCL: fail with EEXIST instead of silently reusing a link of the same name.
        self.ack(
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            what,
        )
    }

    /// Send a request that changes something and wait for the kernel's acknowledgement.
    fn ack(&mut self, msg: RouteNetlinkMessage, flags: u16, what: &str) -> Result<(), Error> {
        self.request(msg, flags | NLM_F_ACK, what).map(|_| ())
    }

    /// Send one request; collect every answer until the kernel says done (dumps) or acks.
    fn request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        what: &str,
    ) -> Result<Vec<RouteNetlinkMessage>, Error> {
        self.sequence += 1;
        let mut packet = NetlinkMessage::from(msg);
        packet.header.flags = NLM_F_REQUEST | flags;
        packet.header.sequence_number = self.sequence;
        packet.finalize();
        let mut buf = vec![0; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket.send(&buf, 0).map_err(Error::Socket)?;

        let mut answers = Vec::new();
        loop {
            let (data, _) = self.socket.recv_from_full().map_err(Error::Socket)?;
            let mut offset = 0;
            while offset < data.len() {
                let reply: NetlinkMessage<RouteNetlinkMessage> =
                    NetlinkMessage::deserialize(&data[offset..])
                        .map_err(|e| Error::Decode(e.to_string()))?;
                let len = reply.header.length as usize;
                if reply.header.sequence_number != self.sequence {
                    offset += len.max(1);
                    continue; // an answer to someone else's earlier request
                }
                match reply.payload {
                    NetlinkPayload::Done(_) => return Ok(answers),
                    NetlinkPayload::Error(e) => match e.code {
                        // An error message with code 0 is the acknowledgement.
                        None => return Ok(answers),
                        Some(code) => {
                            return Err(Error::Kernel {
                                what: what.to_string(),
                                source: std::io::Error::from_raw_os_error(-code.get()),
                            });
                        }
                    },
                    NetlinkPayload::InnerMessage(m) => answers.push(m),
                    _ => {}
                }
                if len == 0 {
                    break;
                }
                offset += len;
            }
        }
    }
}

fn link_from_message(msg: &LinkMessage) -> Link {
    let mut link = Link {
        index: msg.header.index,
        name: String::new(),
        up: msg.header.flags.contains(LinkFlags::Up),
        kind: None,
        master: None,
        running: false,
    };
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(n) => link.name = n.clone(),
            LinkAttribute::Controller(m) => link.master = Some(*m),
            LinkAttribute::OperState(state) => link.running = *state == State::Up,
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    if let LinkInfo::Kind(kind) = info {
                        link.kind = Some(kind.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    link
}
