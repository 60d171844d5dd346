//! Names: of the host's veth ends, of the container's interfaces, of networks and
//! containers (checked before use), and the network's hosts file.

use std::fs;
use std::net::Ipv4Addr;

use super::{Error, Networks};
use crate::ipam::State;
use crate::netlink::Netlink;

impl Networks {
    /// Rewrite the network's hosts file *in place* (same inode), so sandboxes that bind-mounted
    /// it see the change. Called under the IPAM lock.
    pub(crate) fn write_hosts(&self, network: &str, state: &mut State) -> Result<(), Error> {
        let mut text = String::from("127.0.0.1\tlocalhost\n");
        for (addr, name) in &state.network(network)?.leases {
            text.push_str(&format!("{addr}\t{name}\n"));
        }
        let path = self.hosts_file(network);
        let write = || {
            fs::create_dir_all(path.parent().expect("hosts dir"))?;
            fs::write(&path, text) // O_TRUNC, not rename: keeps the inode
        };
        write().map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })
    }
}

/// The host end's name, derived from the leased address so teardown can find it from the
/// lease alone: 10.88.0.2 → `vl0a580002` (interface names are at most 15 bytes).
pub fn host_veth_name(addr: Ipv4Addr) -> String {
    format!("vl{:08x}", u32::from(addr))
}

/// The first of eth0, eth1… not yet taken in the container.
pub(crate) fn first_free_eth(inside: &mut Netlink) -> Result<String, Error> {
    let taken: Vec<String> = inside.links()?.into_iter().map(|l| l.name).collect();
    Ok((0..)
        .map(|n| format!("eth{n}"))
        .find(|n| !taken.contains(n))
        .expect("a free ethN"))
}

/// Names end up in interface names (15 bytes at most), file names and nft rule comments, so
/// only a safe alphabet is allowed: no '/', no quotes, no spaces, no newlines.
pub(crate) fn check_name(kind: &'static str, name: &str, max: usize) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    let ok = (1..=max).contains(&name.len())
        && name.chars().all(allowed)
        && !name.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidName {
            kind,
            name: name.to_string(),
            max,
        })
    }
}
