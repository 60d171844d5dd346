//! A tiny DNS responder: answers "what is the address of container X?" for one network.
//!
//! Docker's user-defined networks answer container names from a DNS server built into the
//! daemon (at 127.0.0.11 in every container); podman runs `aardvark-dns`. Ours listens on the
//! network's gateway address, UDP port 53, in the host's namespace, and looks every query up
//! in IPAM, so a container that joined a second ago is already known and one that left is
//! gone — unlike a hosts file copied into a root filesystem. Containers find it through
//! `nameserver GATEWAY` in their `/etc/resolv.conf` (resolv.conf(5)).
//!
//! The protocol subset is small (RFC 1035 §4.1): one question, class IN; type A gets the
//! address, any other type for a known name gets an empty answer, an unknown name gets
//! NXDOMAIN. Nothing is forwarded upstream: the real responders forward other names to the
//! host's resolvers.

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::{AsFd, OwnedFd};
use std::thread::JoinHandle;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::ipam::Ipam;

/// What can go wrong starting the responder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// bind(2) on the gateway's port 53 failed.
    #[error("could not listen on udp {addr}: {source}: is the network created, and port 53 free?")]
    Bind {
        /// The address.
        addr: SocketAddrV4,
        /// The error.
        source: std::io::Error,
    },
    /// pipe(2) for the stop signal failed.
    #[error("could not create a pipe: {0}")]
    Pipe(#[source] nix::Error),
}

/// A running responder; dropping it stops its thread.
pub struct Responder {
    stop: Option<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;
const NXDOMAIN: u8 = 3;
const NOTIMP: u8 = 4;

impl Responder {
    /// Answer names of `network` on UDP `gateway:53`, in the calling thread's namespace.
    pub fn start(ipam: Ipam, network: &str, gateway: Ipv4Addr) -> Result<Responder, Error> {
        let addr = SocketAddrV4::new(gateway, 53);
        let socket = UdpSocket::bind(addr).map_err(|source| Error::Bind { addr, source })?;
        // Closing the write end of this pipe wakes the thread's poll(2): our stop signal.
        let (stop_rx, stop_tx) = nix::unistd::pipe().map_err(Error::Pipe)?;
        let network = network.to_string();
        let thread = std::thread::spawn(move || {
            let lookup = |name: &str| {
                let state = ipam.read().ok()?;
                let record = state.networks.get(&network)?;
                record
                    .leases
                    .iter()
                    .find(|(_, owner)| owner.eq_ignore_ascii_case(name))
                    .map(|(a, _)| *a)
            };
            let mut buf = [0u8; 512]; // the classic UDP DNS message limit
            loop {
                let mut fds = [
                    PollFd::new(socket.as_fd(), PollFlags::POLLIN),
                    PollFd::new(stop_rx.as_fd(), PollFlags::POLLIN),
                ];
                if poll(&mut fds, PollTimeout::NONE).is_err() || fds[1].any() != Some(false) {
                    return; // stop requested (or poll failed)
                }
                let Ok((len, peer)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                if let Some(reply) = answer(&buf[..len], lookup) {
                    let _ = socket.send_to(&reply, peer);
                }
            }
        });
        Ok(Responder {
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        drop(self.stop.take()); // EOF on the pipe
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reply to one DNS query, or `None` for something that is not a query we can parse.
pub fn answer(query: &[u8], lookup: impl Fn(&str) -> Option<Ipv4Addr>) -> Option<Vec<u8>> {
    // Header: id(2) flags(2) qdcount(2) ancount(2) nscount(2) arcount(2).
    if query.len() < 12 || query[2] & 0x80 != 0 || u16::from_be_bytes([query[4], query[5]]) != 1 {
        return None; // a response, or not exactly one question
    }
    let opcode = (query[2] >> 3) & 0x0f;
    // The question: a name as length-prefixed labels ending in 0, then type and class.
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = *query.get(pos)? as usize;
        pos += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None; // compression pointers never appear in a question
        }
        labels.push(String::from_utf8_lossy(query.get(pos..pos + len)?).to_ascii_lowercase());
        pos += len;
    }
    let qtype = u16::from_be_bytes([*query.get(pos)?, *query.get(pos + 1)?]);
    let qclass = u16::from_be_bytes([*query.get(pos + 2)?, *query.get(pos + 3)?]);
    let end = pos + 4;

    let found = lookup(&labels.join("."));
    let (rcode, addr) = match (opcode, qclass, found) {
        (0, CLASS_IN, Some(addr)) => (0, (qtype == TYPE_A).then_some(addr)),
        (0, CLASS_IN, None) => (NXDOMAIN, None),
        _ => (NOTIMP, None),
    };
    // The reply repeats the header and question (dropping any EDNS record after it).
    let mut reply = query[..end].to_vec();
    reply[2] = 0x84 | (query[2] & 0x79); // QR=1, AA=1, keep opcode and RD
    reply[3] = rcode; // RA=0: we do not recurse
    reply[6..12].copy_from_slice(&[0, addr.is_some() as u8, 0, 0, 0, 0]);
    if let Some(addr) = addr {
        reply.extend_from_slice(&[0xc0, 12]); // the name: a pointer to the question's
        reply.extend_from_slice(&TYPE_A.to_be_bytes());
        reply.extend_from_slice(&CLASS_IN.to_be_bytes());
        reply.extend_from_slice(&0u32.to_be_bytes()); // TTL 0: always ask again
        reply.extend_from_slice(&4u16.to_be_bytes());
        reply.extend_from_slice(&addr.octets());
    }
    Some(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.') {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&CLASS_IN.to_be_bytes());
        q
    }

    fn web(name: &str) -> Option<Ipv4Addr> {
        (name == "web").then_some(Ipv4Addr::new(10, 89, 0, 2))
    }

    #[test]
    fn known_name_gets_its_a_record() {
        let q = query("Web", TYPE_A);
        let r = answer(&q, web).unwrap();
        assert_eq!(&r[..2], &[0x12, 0x34], "same id");
        assert_eq!(r[2] & 0x80, 0x80, "a response");
        assert_eq!(r[3] & 0x0f, 0, "NOERROR");
        assert_eq!(&r[6..8], &[0, 1], "one answer");
        assert_eq!(&r[r.len() - 4..], &[10, 89, 0, 2]);
    }

    #[test]
    fn unknown_name_is_nxdomain_and_aaaa_is_empty() {
        let r = answer(&query("db", TYPE_A), web).unwrap();
        assert_eq!(r[3] & 0x0f, NXDOMAIN);
        let r = answer(&query("web", 28), web).unwrap();
        assert_eq!((r[3] & 0x0f, r[7]), (0, 0), "NOERROR, no answer");
    }

    #[test]
    fn garbage_gets_no_reply() {
        assert!(answer(&[1, 2, 3], web).is_none());
        let mut truncated = query("web", TYPE_A);
        truncated.truncate(15);
        assert!(answer(&truncated, web).is_none());
    }
}
