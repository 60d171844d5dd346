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
//!
//! The requests are grouped by what they act on: [`link`] (interfaces: veth, bridge, up,
//! master, namespace) and [`addr`] (addresses and routes). This file holds the socket and
//! the one request/answer loop they all use.

use std::time::Duration;

use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::netns::NetNs;

pub mod addr;
pub mod link;

pub use addr::{Address, Route};
pub use link::Link;

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

    /// Send a request that changes something and wait for the kernel's acknowledgement.
    pub(crate) fn ack(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        what: &str,
    ) -> Result<(), Error> {
        self.request(msg, flags | NLM_F_ACK, what).map(|_| ())
    }

    /// Send one request; collect every answer until the kernel says done (dumps) or acks.
    pub(crate) fn request(
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

impl Error {
    /// Whether the kernel refused a request with EEXIST (a link of that name already exists).
    pub fn is_already_exists(&self) -> bool {
        matches!(self, Error::Kernel { source, .. } if source.raw_os_error() == Some(libc::EEXIST))
    }

    /// Whether the kernel refused a request with ENODEV: the interface it names is gone, for
    /// example a veth pair the kernel deleted with a dying network namespace.
    pub fn is_no_such_device(&self) -> bool {
        matches!(self, Error::Kernel { source, .. } if source.raw_os_error() == Some(libc::ENODEV))
    }
}
