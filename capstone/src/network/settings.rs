//! What a container's record says about its networks, in Docker's words: where it is plugged
//! in ([`NetworkSettings`]: one [`Endpoint`] per network, filled while it runs, i.e. while its
//! end of a veth(4) pair lives in its network namespace), checked at `create`, shown by
//! `inspect`. Published ports are in [`super::ports`].

use super::ports::{PortBinding, ports_json};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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
            *e = Endpoint {
                network_id: id,
                ..Endpoint::default()
            };
        }
    }
}

/// `inspect`'s `NetworkSettings` of a container record.
pub fn inspect_json(c: &crate::container::Container) -> Value {
    let s = &c.network_settings;
    let primary = s.primary().cloned().unwrap_or_default();
    let mut ports = ports_json(&s.ports);
    for exposed in &c.config.exposed_ports {
        if let Some(map) = ports.as_object_mut() {
            map.entry(exposed.clone()).or_insert(Value::Null);
        }
    }
    let networks: BTreeMap<&String, Value> = if s.networks.is_empty() {
        // `none` and `host` are networks too in Docker's output, with nothing in them.
        BTreeMap::new()
    } else {
        s.networks.iter().map(|(n, e)| (n, json!(e))).collect()
    };
    let mut networks = json!(networks);
    if s.networks.is_empty()
        && let Some(map) = networks.as_object_mut()
    {
        map.insert(c.host_config.network_mode.clone(), json!({}));
    }
    json!({
        "IPAddress": primary.ip_address, "IPPrefixLen": primary.ip_prefix_len,
        "Gateway": primary.gateway, "MacAddress": primary.mac_address,
        "Ports": ports, "Networks": networks,
    })
}

/// At `create`: checks `--network` and `-p`, makes the default network on first use, and
/// returns the memberships to record. Everything is checked before the container exists.
pub fn for_create(
    paths: &crate::state::Paths,
    host: &mut crate::container::HostConfig,
    opts: &crate::create::CreateOptions,
) -> Result<NetworkSettings> {
    let bindings = opts
        .publish
        .iter()
        .map(|p| PortBinding::parse(p))
        .collect::<Result<Vec<_>>>()?;
    for (i, b) in bindings.iter().enumerate() {
        let same = |o: &PortBinding| o.host_port == b.host_port && o.protocol == b.protocol;
        if b.host_port != 0 && bindings[..i].iter().any(same) {
            return Err(Error::invalid(
                "-p",
                format!("{}/{}", b.host_port, b.protocol),
                "the same host port is published twice",
            ));
        }
    }
    let mut settings = NetworkSettings::default();
    match host.network_mode.as_str() {
        "none" | "host" if !bindings.is_empty() => {
            return Err(Error::invalid(
                "-p",
                opts.publish.join(" "),
                format!(
                    "ports cannot be published with --network {}: use a bridge network",
                    host.network_mode
                ),
            ));
        }
        "none" | "host" => {}
        name => {
            let name = if name == "default" {
                super::DEFAULT_NETWORK // Docker's other name for it
            } else {
                name
            };
            if name == super::DEFAULT_NETWORK {
                super::ensure_default(paths)?;
            }
            let net = super::find(paths, name)?;
            host.network_mode = net.name.clone();
            settings.networks.insert(
                net.name,
                Endpoint {
                    network_id: net.id,
                    ..Endpoint::default()
                },
            );
        }
    }
    host.port_bindings = bindings;
    Ok(settings)
}

/// Docker's `Config.ExposedPorts`: the image's (`80` taken as `80/tcp`) and every `-p` port.
pub fn exposed_ports(
    image: &oci_spec::image::ImageConfiguration,
    host: &crate::container::HostConfig,
) -> Vec<String> {
    let from_image = image
        .config()
        .as_ref()
        .and_then(|c| c.exposed_ports().clone())
        .unwrap_or_default();
    let mut ports: Vec<String> = from_image
        .into_iter()
        .map(|p| {
            if p.contains('/') {
                p
            } else {
                format!("{p}/tcp")
            }
        })
        .chain(host.port_bindings.iter().map(PortBinding::key))
        .collect();
    ports.sort();
    ports.dedup();
    ports
}
