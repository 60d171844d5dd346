//! veth pairs and bridges (veth(4), `ip-link(8)` "type bridge"): the cables and the switch of
//! container networking (lesson 06).
//!
//! As root we prove both by creating them — never on the host: a helper thread unshares into a
//! brand-new network namespace (unshare(2) `CLONE_NEWNET`, network_namespaces(7)), opens an
//! rtnetlink socket there (rtnetlink(7); the socket belongs to the namespace of the thread that
//! made it), creates a veth pair and a bridge, lists the links to see them, and deletes them.
//! When the thread exits, nothing references the namespace any more and the kernel frees it
//! with anything still inside. Without root we can only look for the kernel modules.

use crate::check::{Check, Requirement};
use crate::error::{Error, Result, sys};
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use nix::sched::{CloneFlags, unshare};

/// The names of the test links (only ever inside the throwaway namespace).
pub const TEST_LINKS: [&str; 3] = ["doctor-veth0", "doctor-veth1", "doctor-br0"];

const WHY: &str = "a container is wired to the host with a veth pair plugged into a bridge \
     (lesson 06, the capstone's network)";

/// The veth/bridge check: created in a throwaway network namespace as root, else modules.
pub fn check() -> Check {
    if !nix::unistd::geteuid().is_root() {
        return by_modules();
    }
    match std::thread::spawn(prove_in_throwaway_netns).join() {
        Ok(Ok(seen)) => Check::pass(
            "veth-bridge",
            Requirement::Required,
            WHY,
            "created a veth pair and a bridge in a throwaway network namespace",
        )
        .detail(format!("links seen there: {}", seen.join(", "))),
        Ok(Err(e)) => Check::missing(
            "veth-bridge",
            Requirement::Required,
            WHY,
            format!("could not create them in a throwaway network namespace: {e}"),
            "load the modules with `sudo modprobe veth bridge`; if that fails, install this \
             kernel's modules package (e.g. linux-modules-extra-$(uname -r) on Ubuntu)",
        ),
        Err(_) => Check::missing(
            "veth-bridge",
            Requirement::Required,
            WHY,
            "the network probe thread panicked",
            "report this as a bug in the doctor",
        ),
    }
}

/// Without root: are veth and bridge loaded, built in, or loadable modules?
fn by_modules() -> Check {
    let have = |name: &str| {
        std::path::Path::new("/sys/module").join(name).exists()
            || crate::overlay::module_file_exists(name)
    };
    let missing: Vec<&str> = ["veth", "bridge"]
        .into_iter()
        .filter(|m| !have(m))
        .collect();
    if missing.is_empty() {
        Check::pass(
            "veth-bridge",
            Requirement::Required,
            WHY,
            "veth and bridge modules found (not created: that needs root)",
        )
    } else {
        Check::missing(
            "veth-bridge",
            Requirement::Required,
            WHY,
            format!(
                "not verified: no module found for {} (it may be built in; only root can try)",
                missing.join(", ")
            ),
            "run `cargo doctor` (it runs as root through sudo) to create them for real",
        )
    }
}

/// Runs on its own thread: new netns, create, list, delete. Returns the link names seen.
fn prove_in_throwaway_netns() -> Result<Vec<String>> {
    // Why on a thread: the network namespace is per thread, so the rest of the process (and
    // the host) never leaves its own namespace; the new one dies with this thread.
    // ANCHOR: veth
    unshare(CloneFlags::CLONE_NEWNET).map_err(sys("unshare(CLONE_NEWNET)"))?;
    let mut nl = Netlink::open()?;
    let [veth0, veth1, bridge] = TEST_LINKS;

    let mut peer = LinkMessage::default();
    peer.attributes.push(LinkAttribute::IfName(veth1.into()));
    let mut veth = LinkMessage::default();
    veth.attributes.push(LinkAttribute::IfName(veth0.into()));
    veth.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
    ]));
    nl.request(
        RouteNetlinkMessage::NewLink(veth),
        NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
        &format!("ip link add {veth0} type veth peer name {veth1}"),
    )?;
    // ANCHOR_END: veth
    let mut br = LinkMessage::default();
    br.attributes.push(LinkAttribute::IfName(bridge.into()));
    br.attributes
        .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
            InfoKind::Bridge,
        )]));
    nl.request(
        RouteNetlinkMessage::NewLink(br),
        NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
        &format!("ip link add {bridge} type bridge"),
    )?;

    let links = nl.links()?;
    for name in TEST_LINKS {
        if !links.iter().any(|(n, _)| n == name) {
            return Err(Error::Unexpected(format!(
                "{name} was acknowledged but is not listed"
            )));
        }
    }
    // Tidy up although the namespace is about to vanish: deleting one veth end deletes both.
    for (name, index) in links.iter().filter(|(n, _)| n == veth0 || n == bridge) {
        let mut del = LinkMessage::default();
        del.header.index = *index;
        nl.request(
            RouteNetlinkMessage::DelLink(del),
            NLM_F_ACK,
            &format!("ip link del {name}"),
        )?;
    }
    Ok(links.into_iter().map(|(n, _)| n).collect())
}

/// The smallest rtnetlink client that can do the above: one request at a time, then wait
/// for the kernel's acknowledgement or the end of a dump.
struct Netlink {
    socket: Socket,
    sequence: u32,
}

impl Netlink {
    /// A NETLINK_ROUTE socket in the calling thread's network namespace.
    fn open() -> Result<Netlink> {
        let fail = |source| Error::Netlink {
            what: "open a NETLINK_ROUTE socket".into(),
            source,
        };
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(fail)?;
        socket.bind_auto().map_err(fail)?;
        socket.connect(&SocketAddr::new(0, 0)).map_err(fail)?;
        Ok(Netlink {
            socket,
            sequence: 0,
        })
    }

    /// Every link as (name, ifindex): `ip link show`.
    fn links(&mut self) -> Result<Vec<(String, u32)>> {
        let get = RouteNetlinkMessage::GetLink(LinkMessage::default());
        let answers = self.request(get, NLM_F_DUMP, "ip link show")?;
        Ok(answers
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => {
                    link.attributes.iter().find_map(|a| match a {
                        LinkAttribute::IfName(n) => Some((n.clone(), link.header.index)),
                        _ => None,
                    })
                }
                _ => None,
            })
            .collect())
    }

    /// Sends one request and collects the answers until DONE (a dump) or the ACK.
    fn request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        what: &str,
    ) -> Result<Vec<RouteNetlinkMessage>> {
        let fail = |source| Error::Netlink {
            what: what.to_string(),
            source,
        };
        self.sequence += 1;
        let mut packet = NetlinkMessage::from(msg);
        packet.header.flags = NLM_F_REQUEST | flags;
        packet.header.sequence_number = self.sequence;
        packet.finalize();
        let mut buf = vec![0; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket.send(&buf, 0).map_err(fail)?;
        let mut answers = Vec::new();
        loop {
            let (data, _) = self.socket.recv_from_full().map_err(fail)?;
            let mut offset = 0;
            while offset < data.len() {
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&data[offset..])
                    .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
                let len = reply.header.length as usize;
                match reply.payload {
                    NetlinkPayload::Done(_) => return Ok(answers),
                    // An error message with no code is the acknowledgement.
                    NetlinkPayload::Error(e) => match e.code {
                        None => return Ok(answers),
                        Some(code) => {
                            return Err(fail(std::io::Error::from_raw_os_error(-code.get())));
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
