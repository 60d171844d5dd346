//! Interfaces (`ip link`): list them, create veth pairs and bridges, set them up, plug them
//! into a bridge, move them between namespaces, delete them, wait until they run.

use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State,
};
use netlink_sys::{Socket, protocols::NETLINK_ROUTE};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::{Error, Netlink};
use crate::netns::NetNs;

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
    /// The hardware (MAC) address (IFLA_ADDRESS), as `ip link` prints it: `02:42:ac:11:00:02`.
    pub mac: Option<String>,
}

impl Netlink {
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
        // exercise 06.1 veth-pair: begin
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
        // exercise 06.1: end
    }
    // ANCHOR_END: add_veth

    /// Create a software bridge (a virtual switch, like `docker0`):
    /// `ip link add NAME type bridge`.
    pub fn add_bridge(&mut self, name: &str) -> Result<(), Error> {
        // exercise 06.2 bridge: begin
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        self.create_link(msg, &format!("ip link add {name} type bridge"))
        // exercise 06.2: end
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
        // exercise 06.3 set-master: begin
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes.push(LinkAttribute::Controller(bridge));
        let what = format!("ip link set dev #{index} master #{bridge}");
        self.ack(RouteNetlinkMessage::SetLink(msg), 0, &what)
        // exercise 06.3: end
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

    fn create_link(&mut self, msg: LinkMessage, what: &str) -> Result<(), Error> {
        // NLM_F_EXCL: fail with EEXIST instead of silently reusing a link of the same name.
        self.ack(
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            what,
        )
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
        mac: None,
    };
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(n) => link.name = n.clone(),
            LinkAttribute::Controller(m) => link.master = Some(*m),
            LinkAttribute::OperState(state) => link.running = *state == State::Up,
            LinkAttribute::Address(bytes) => {
                let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                link.mac = Some(hex.join(":"));
            }
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
