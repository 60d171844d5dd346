//! Networks as the engine manages them: `network create` and `rm` (a bridge per network,
//! through lesson 06's driver), the default `bridge` network made on first use (as Docker's
//! `docker0` is always there), and at `create` the check of `--network` and `-p`.

use super::events::{self, Event};
use crate::model::container::HostConfig;
use crate::model::network::{
    DEFAULT_BRIDGE, DEFAULT_NETWORK, DEFAULT_SUBNET, Endpoint, NetworkSettings,
};
use crate::model::ports::PortBinding;
use crate::model::{clock, ids};
use crate::store::Paths;
use crate::store::networks::{Meta, NetworkInfo, driver, find, list, lock, meta_path};
use crate::{Engine, Error, Result};
use ::network::Subnet;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// `network create [--subnet CIDR] NAME`: records the network and makes its bridge (named
/// `br-` and the id's first 12 digits, as Docker does), routing and firewall rules. Without a
/// subnet, the first free one of 172.31.0.0/24, 172.31.1.0/24, … is taken. `internal`: no
/// route out (lesson 06's [`::network::Networks::create_with`]).
pub fn create(
    paths: &Paths,
    name: &str,
    subnet: Option<Subnet>,
    labels: BTreeMap<String, String>,
    internal: bool,
) -> Result<NetworkInfo> {
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
        Some(subnet) => nets.create_with(name, &bridge, subnet, internal)?,
        None => {
            let candidates = (0..=255u8).map(|n| Subnet::new(Ipv4Addr::new(172, 31, n, 0), 24));
            let mut made = false;
            for subnet in candidates.flatten() {
                match nets.create_with(name, &bridge, subnet, internal) {
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
        labels,
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
pub fn ensure_default(paths: &Paths) -> Result<()> {
    match find(paths, DEFAULT_NETWORK) {
        Ok(_) => Ok(()),
        Err(Error::NoSuchNetwork(_)) => {
            let subnet = DEFAULT_SUBNET.parse().expect("default subnet parses");
            match create(paths, DEFAULT_NETWORK, Some(subnet), BTreeMap::new(), false) {
                Ok(_) | Err(Error::NetworkExists(_)) => Ok(()), // another command won the race
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// `network rm`: refused while a container holds an address on it; otherwise its rules, its
/// bridge and its records go (lesson 06's mirror-image teardown).
pub fn remove(paths: &Paths, query: &str) -> Result<String> {
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
        .map_err(|e| Error::Teardown(e.0.into_iter().map(Error::from).collect()))?;
    let _ = std::fs::remove_file(meta_path(paths, &net.name));
    Ok(net.name)
}

/// At `create`: checks `--network` (already in `host`) and the `-p` values in `publish`,
/// makes the default network on first use, and returns the memberships to record.
/// Everything is checked before the container exists.
pub fn for_create(
    paths: &Paths,
    host: &mut HostConfig,
    publish: &[String],
) -> Result<NetworkSettings> {
    let bindings = publish
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
                publish.join(" "),
                format!(
                    "ports cannot be published with --network {}: use a bridge network",
                    host.network_mode
                ),
            ));
        }
        "none" | "host" => {}
        name => {
            let name = if name == "default" {
                DEFAULT_NETWORK // Docker's other name for it
            } else {
                name
            };
            if name == DEFAULT_NETWORK {
                ensure_default(paths)?;
            }
            let net = find(paths, name)?;
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

/// At `create`, after [`for_create`]: `aliases` on the `--network` network and the
/// memberships of `extra_networks` (each checked to exist), plugged in together at start.
pub fn add_endpoints(
    paths: &Paths,
    settings: &mut NetworkSettings,
    aliases: &[String],
    extra_networks: &[(String, Vec<String>)],
) -> Result<()> {
    let wants_names = !aliases.is_empty() || !extra_networks.is_empty();
    if wants_names && settings.networks.is_empty() {
        return Err(Error::invalid(
            "--network-alias",
            aliases.join(","),
            "aliases and more networks need a bridge network, not none or host",
        ));
    }
    if let Some(endpoint) = settings.networks.values_mut().next() {
        endpoint.aliases.extend(aliases.iter().cloned());
    }
    for (name, more) in extra_networks {
        let net = find(paths, name)?;
        let endpoint = settings.networks.entry(net.name).or_default();
        endpoint.network_id = net.id;
        endpoint.aliases.extend(more.iter().cloned());
    }
    Ok(())
}

/// Docker's `Config.ExposedPorts`: the image's (`80` taken as `80/tcp`) and every `-p` port.
pub fn exposed_ports(
    image: &oci_spec::image::ImageConfiguration,
    host: &HostConfig,
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

/// `none` and `host` (choices with no bridge behind them) and the default `bridge`.
fn is_predefined(name: &str) -> bool {
    matches!(name, "none" | "host" | DEFAULT_NETWORK)
}

impl Engine {
    /// `network create NAME [--driver bridge] [--subnet CIDR]`: a bridge network of its own
    /// (lesson 06), with a free /24 in 172.31.0.0/16 when no subnet is given.
    pub fn create_network(
        &self,
        name: &str,
        driver: Option<&str>,
        subnet: Option<&str>,
    ) -> Result<NetworkInfo> {
        self.create_network_labelled(name, driver, subnet, &[])
    }

    /// [`Engine::create_network`] with `--label KEY=VALUE` values (for `network ls --filter
    /// label=`).
    pub fn create_network_labelled(
        &self,
        name: &str,
        driver: Option<&str>,
        subnet: Option<&str>,
        labels: &[String],
    ) -> Result<NetworkInfo> {
        self.create_network_with(name, driver, subnet, labels, false)
    }

    /// [`Engine::create_network_labelled`], and `internal` (`--internal`, compose's
    /// `internal: true`): a network whose containers get no route out.
    pub fn create_network_with(
        &self,
        name: &str,
        driver: Option<&str>,
        subnet: Option<&str>,
        labels: &[String],
        internal: bool,
    ) -> Result<NetworkInfo> {
        let labels = super::run_flags::parse_labels("--label", labels)?;
        if let Some(d) = driver.filter(|d| *d != "bridge") {
            return Err(Error::invalid(
                "--driver",
                d,
                "only the bridge driver is available",
            ));
        }
        if is_predefined(name) {
            return Err(Error::invalid(
                "network name",
                name,
                "`bridge` (made on first use), `none` and `host` are predefined: pick another name",
            ));
        }
        let subnet = subnet
            .map(|s| s.parse::<Subnet>())
            .transpose()
            .map_err(|e| Error::invalid("--subnet", e.0.clone(), e.to_string()))?;
        let info = create(&self.paths, name, subnet, labels, internal)?;
        let attributes = [("name", name), ("type", "bridge")];
        events::emit(
            &self.paths,
            Event::now("network", "create", &info.id, &attributes),
        );
        Ok(info)
    }

    /// One network by name or id (`NoSuchNetwork` when there is none).
    pub fn network(&self, query: &str) -> Result<NetworkInfo> {
        find(&self.paths, query)
    }

    /// `network rm NAME`: refused for the predefined networks and while a container is plugged
    /// in; returns the name removed.
    pub fn remove_network(&self, name: &str) -> Result<String> {
        if is_predefined(name) {
            return Err(Error::invalid(
                "network rm",
                name,
                "a predefined network cannot be removed",
            ));
        }
        let removed = remove(&self.paths, name)?;
        let attributes = [("name", removed.as_str()), ("type", "bridge")];
        events::emit(
            &self.paths,
            Event::now("network", "destroy", &removed, &attributes),
        );
        Ok(removed)
    }

    /// `network connect NETWORK CONTAINER`: a running container is plugged in at once, a
    /// stopped one at its next start.
    pub fn connect(&self, network: &str, container: &str) -> Result<()> {
        self.connect_with_aliases(network, container, &[])
    }

    /// `network connect --alias A NETWORK CONTAINER`: as [`Engine::connect`], and the
    /// container also answers to `aliases` on that network (its peers' /etc/hosts).
    pub fn connect_with_aliases(
        &self,
        network: &str,
        container: &str,
        aliases: &[String],
    ) -> Result<()> {
        let record = super::reconcile::refresh(
            &self.paths,
            crate::store::containers::find(&self.paths, container)?,
        )?;
        crate::mechanisms::network::attach::connect(&self.paths, &record, network, aliases)?;
        self.network_event(network, &record.id, "connect");
        Ok(())
    }

    /// A network event about a container, with Docker's attributes.
    fn network_event(&self, network: &str, container: &str, action: &str) {
        if let Ok(info) = find(&self.paths, network) {
            let attributes = [
                ("container", container),
                ("name", &info.name),
                ("type", "bridge"),
            ];
            events::emit(
                &self.paths,
                Event::now("network", action, &info.id, &attributes),
            );
        }
    }

    /// `network disconnect NETWORK CONTAINER`.
    pub fn disconnect(&self, network: &str, container: &str) -> Result<()> {
        let record = super::reconcile::refresh(
            &self.paths,
            crate::store::containers::find(&self.paths, container)?,
        )?;
        crate::mechanisms::network::attach::disconnect(&self.paths, &record, network)?;
        self.network_event(network, &record.id, "disconnect");
        Ok(())
    }
}
