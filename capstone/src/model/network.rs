//! What a container's record says about its networks, in Docker's words: where it is plugged
//! in ([`NetworkSettings`]: one [`Endpoint`] per network, filled while it runs, i.e. while its
//! end of a veth(4) pair lives in its network namespace), checked at `create`, shown by
//! `inspect`. Published ports are in [`super::ports`].

use super::ports::PortBinding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a container is plugged into one network, while it runs (Docker's
/// `NetworkSettings.Networks.NAME`): its end of a veth(4) pair and the address IPAM leased.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Endpoint {
    /// The network's id.
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    /// Its address (empty when not running).
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    /// The subnet's prefix length.
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    /// The bridge's address, its default route.
    pub gateway: String,
    /// The MAC address of its interface inside.
    pub mac_address: String,
    /// The interface inside (`eth0`, `eth1`…).
    pub interface: String,
    /// More names for the container on this network (`--network-alias`; compose's service
    /// name), written into its neighbours' hosts files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// Docker's `NetworkSettings`: the networks a container belongs to (kept while it is stopped,
/// so `start` plugs it in again) and, while it runs, its endpoint on each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkSettings {
    /// Network name → endpoint.
    pub networks: BTreeMap<String, Endpoint>,
    /// The ports published while it runs, with the host ports actually taken.
    #[serde(default)]
    pub ports: Vec<PortBinding>,
}

impl NetworkSettings {
    /// The endpoint on `eth0` (the `--network` one, plugged in first): what Docker shows as
    /// the top-level `IPAddress`.
    pub fn primary(&self) -> Option<&Endpoint> {
        let live = || self.networks.values().filter(|e| !e.ip_address.is_empty());
        live()
            .find(|e| e.interface == "eth0")
            .or_else(|| live().next())
    }

    /// Forgets every address and published port (the container stopped), keeping the
    /// memberships.
    pub fn clear_endpoints(&mut self) {
        self.ports.clear();
        for (_, e) in self.networks.iter_mut() {
            let id = std::mem::take(&mut e.network_id);
            let aliases = std::mem::take(&mut e.aliases);
            *e = Endpoint {
                network_id: id,
                aliases,
                ..Endpoint::default()
            };
        }
    }
}

/// The default network's name, as Docker calls it.
pub const DEFAULT_NETWORK: &str = "bridge";
/// The default network's bridge device (Docker's is `docker0`).
pub const DEFAULT_BRIDGE: &str = "capstone0";
/// The default network's subnet.
pub const DEFAULT_SUBNET: &str = "172.30.0.0/16";
