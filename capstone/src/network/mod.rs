//! Networks (`network create/ls/rm/inspect`, `run --network`), on lesson 06's driver
//! ([`::network::Networks`]): a bridge per network, addresses from its IPAM, NAT and published
//! ports in nftables (nft(8)), links over rtnetlink(7). Everything happens in the network
//! namespace the command runs in (network_namespaces(7)), which is why the tests run the
//! engine inside a namespace of their own.
//!
//! ```text
//! <root>/networks/networks.json     lesson 06's IPAM: bridge, subnet, leases per network
//! <root>/networks/networks.lock     its flock(2)
//! <root>/networks/ids/<name>.json   what Docker adds: the network's id and creation time
//! <runroot>/locks/networks.lock     held by every command that changes networks or plugs in
//! ```
//!
//! The default network `bridge` (bridge `capstone0`, 172.30.0.0/16) is made on first use,
//! as Docker's `docker0` is always there. [`attach`] plugs containers in at the start gate.

pub mod attach;
pub mod files;
pub mod ports;
pub mod settings;

use crate::{Error, Result, clock, ids, state};
use ::network::{Networks, Subnet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The default network's name, as Docker calls it.
pub const DEFAULT_NETWORK: &str = "bridge";
/// The default network's bridge device (Docker's is `docker0`).
pub const DEFAULT_BRIDGE: &str = "capstone0";
/// The default network's subnet.
pub const DEFAULT_SUBNET: &str = "172.30.0.0/16";

/// One network, as `network ls` and `network inspect` show it.
#[derive(Debug, Clone)]
pub struct NetworkInfo {
    /// Its name.
    pub name: String,
    /// 64 hex digits.
    pub id: String,
    /// When it was made (RFC 3339).
    pub created: String,
    /// Its bridge device.
    pub bridge: String,
    /// Its subnet; the bridge holds the first address, the gateway.
    pub subnet: Subnet,
    /// Address → owner (a container's short id).
    pub leases: BTreeMap<Ipv4Addr, String>,
}

/// The part Docker adds to lesson 06's record, in `ids/<name>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Meta {
    id: String,
    created: String,
}

/// Lesson 06's driver, keeping its state under `<root>/networks`.
pub fn driver(paths: &state::Paths) -> Networks {
    Networks::new(paths.root.join("networks"))
}

/// Takes the engine-wide networks lock (flock(2)): creating, removing and plugging in never
/// interleave, so `network rm` cannot pull a bridge from under a starting container.
pub fn lock(paths: &state::Paths) -> Result<state::Lock> {
    state::lock_file(&paths.runroot.join("locks/networks.lock"))
}

/// Every network, by name.
pub fn list(paths: &state::Paths) -> Result<Vec<NetworkInfo>> {
    let records = driver(paths)
        .ipam()
        .read()
        .map_err(::network::Error::from)?;
    let mut all = Vec::new();
    for (name, record) in records.networks {
        let meta = read_meta(paths, &name)?;
        all.push(NetworkInfo {
            name,
            id: meta.id,
            created: meta.created,
            bridge: record.bridge,
            subnet: record.subnet,
            leases: record.leases,
        });
    }
    Ok(all)
}

/// A network by name, full id or unique id prefix (as Docker finds them).
pub fn find(paths: &state::Paths, query: &str) -> Result<NetworkInfo> {
    let all = list(paths)?;
    if let Some(n) = all.iter().find(|n| n.name == query || n.id == query) {
        return Ok(n.clone());
    }
    let mut found = all.into_iter().filter(|n| n.id.starts_with(query));
    match (found.next(), found.next()) {
        (Some(n), None) if !query.is_empty() => Ok(n),
        (Some(_), Some(_)) => Err(Error::Ambiguous(query.into())),
        _ => Err(Error::NoSuchNetwork(query.into())),
    }
}

/// `network create [--subnet CIDR] NAME`: records the network and makes its bridge (named
/// `br-` and the id's first 12 digits, as Docker does), routing and firewall rules. Without a
/// subnet, the first free one of 172.31.0.0/24, 172.31.1.0/24, … is taken.
pub fn create(paths: &state::Paths, name: &str, subnet: Option<Subnet>) -> Result<NetworkInfo> {
    let _lock = lock(paths)?;
    let id = ids::random_id()?;
    let bridge = if name == DEFAULT_NETWORK {
        DEFAULT_BRIDGE.to_string()
    } else {
        format!("br-{}", ids::short(&id))
    };
    if list(paths)?.iter().any(|n| n.name == name) {
        return Err(Error::NetworkExists(name.into()));
    }
    let nets = driver(paths);
    match subnet {
        Some(subnet) => nets.create(name, &bridge, subnet)?,
        None => {
            let candidates = (0..=255u8).map(|n| Subnet::new(Ipv4Addr::new(172, 31, n, 0), 24));
            let mut made = false;
            for subnet in candidates.flatten() {
                match nets.create(name, &bridge, subnet) {
                    Ok(()) => {
                        made = true;
                        break;
                    }
                    // Taken by another network or by an address of this host: try the next.
                    Err(::network::Error::SubnetInUse { .. })
                    | Err(::network::Error::Ipam(::network::ipam::Error::SubnetOverlap {
                        ..
                    })) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if !made {
                return Err(Error::invalid(
                    "network create",
                    name,
                    "no free subnet in 172.31.0.0/16: give one with --subnet",
                ));
            }
        }
    }
    let meta = Meta {
        id,
        created: clock::now(),
    };
    let json = serde_json::to_vec_pretty(&meta).expect("network meta serialises");
    let path = meta_path(paths, name);
    let written = std::fs::create_dir_all(path.parent().expect("ids dir"))
        .map_err(Error::io("create", path.parent().expect("ids dir")))
        .and_then(|()| Ok(images::store::write_atomic(&path, &json)?));
    if let Err(e) = written {
        let _ = nets.remove(name);
        return Err(e);
    }
    drop(_lock);
    find(paths, name)
}

/// The default network, made on first use.
pub fn ensure_default(paths: &state::Paths) -> Result<()> {
    match find(paths, DEFAULT_NETWORK) {
        Ok(_) => Ok(()),
        Err(Error::NoSuchNetwork(_)) => {
            let subnet = DEFAULT_SUBNET.parse().expect("default subnet parses");
            match create(paths, DEFAULT_NETWORK, Some(subnet)) {
                Ok(_) | Err(Error::NetworkExists(_)) => Ok(()), // another command won the race
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// `network rm`: refused while a container holds an address on it; otherwise its rules, its
/// bridge and its records go (lesson 06's mirror-image teardown).
pub fn remove(paths: &state::Paths, query: &str) -> Result<String> {
    let _lock = lock(paths)?;
    let net = find(paths, query)?;
    if let Some(owner) = net.leases.values().next() {
        return Err(Error::NetworkInUse {
            network: net.name,
            container: owner.clone(),
        });
    }
    driver(paths)
        .remove(&net.name)
        .map_err(|e| Error::Teardown(e.to_string()))?;
    let _ = std::fs::remove_file(meta_path(paths, &net.name));
    Ok(net.name)
}

fn meta_path(paths: &state::Paths, name: &str) -> std::path::PathBuf {
    paths.root.join("networks/ids").join(format!("{name}.json"))
}

/// A network recorded by IPAM but without its `ids/` file (a `create` killed half-way) gets
/// an id now, so it can still be listed and removed.
fn read_meta(paths: &state::Paths, name: &str) -> Result<Meta> {
    let path = meta_path(paths, name);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
            path,
            why: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Meta {
            id: {
                let mut id = hex::encode(name.as_bytes());
                id.truncate(64);
                format!("{id:0>64}")
            },
            created: clock::ZERO_TIME.into(),
        }),
        Err(e) => Err(Error::io("read", path)(e)),
    }
}
