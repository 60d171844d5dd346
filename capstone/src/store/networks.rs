//! Network records (`network ls/inspect`, `run --network`), kept by lesson 06's driver
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
//! This module reads and writes those records; making and removing bridges is the engine's
//! (`engine::networks`), plugging containers in is a mechanism (`mechanisms::network`).

use crate::model::clock;
use crate::{Error, Result, store};
use ::network::{Networks, Subnet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// One network, as `network ls` and `network inspect` show it.
#[derive(Debug, Clone)]
pub struct NetworkInfo {
    /// Its name.
    pub name: String,
    /// 64 hex digits.
    pub id: String,
    /// When it was made (RFC 3339).
    pub created: String,
    /// `network create --label KEY=VALUE`.
    pub labels: BTreeMap<String, String>,
    /// Its bridge device.
    pub bridge: String,
    /// Its subnet; the bridge holds the first address, the gateway.
    pub subnet: Subnet,
    /// Address → owner (a container's short id).
    pub leases: BTreeMap<Ipv4Addr, String>,
    /// `--internal`: no route out of the network (lesson 06's sealed bridge).
    pub internal: bool,
}

/// The part Docker adds to lesson 06's record, in `ids/<name>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Meta {
    pub(crate) id: String,
    pub(crate) created: String,
    /// `network create --label`.
    #[serde(default)]
    pub(crate) labels: BTreeMap<String, String>,
}

/// Lesson 06's driver, keeping its state under `<root>/networks`.
pub fn driver(paths: &store::Paths) -> Networks {
    Networks::new(paths.root.join("networks"))
}

/// Takes the engine-wide networks lock (flock(2)): creating, removing and plugging in never
/// interleave, so `network rm` cannot pull a bridge from under a starting container.
pub fn lock(paths: &store::Paths) -> Result<store::Lock> {
    store::lock_file(&paths.runroot.join("locks/networks.lock"))
}

/// Every network, by name.
pub fn list(paths: &store::Paths) -> Result<Vec<NetworkInfo>> {
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
            labels: meta.labels,
            bridge: record.bridge,
            subnet: record.subnet,
            leases: record.leases,
            internal: record.internal,
        });
    }
    Ok(all)
}

/// A network by name, full id or unique id prefix (as Docker finds them).
pub fn find(paths: &store::Paths, query: &str) -> Result<NetworkInfo> {
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

pub(crate) fn meta_path(paths: &store::Paths, name: &str) -> std::path::PathBuf {
    paths.root.join("networks/ids").join(format!("{name}.json"))
}

/// A network recorded by IPAM but without its `ids/` file (a `create` killed half-way) gets
/// an id now, so it can still be listed and removed.
fn read_meta(paths: &store::Paths, name: &str) -> Result<Meta> {
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
            labels: BTreeMap::new(),
        }),
        Err(e) => Err(Error::io("read", path)(e)),
    }
}
