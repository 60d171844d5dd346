//! The Compose Specification's types, in their *long* syntax only: every short form (a port
//! `"8080:80"`, a volume `"data:/var/lib/db:ro"`, an environment list `["A=1"]`) has already
//! been rewritten into its long form by [`super::normalize`], so each key here has exactly one
//! shape and serde's `deny_unknown_fields` can say which key is not part of the specification.
//! Fields are declared in alphabetical order, the order `docker compose config` prints them.
//!
//! Spec: <https://github.com/compose-spec/compose-spec/blob/main/spec.md>.

mod service;

pub use service::*;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole compose file (or several merged): the project's services, networks and volumes.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeFile {
    /// The project name (`name:`), before `-p` and `COMPOSE_PROJECT_NAME` are considered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The obsolete `version:` key, accepted and ignored as Docker Compose v2 does.
    #[serde(default, skip_serializing)]
    pub version: Option<serde::de::IgnoredAny>,
    /// The services, by name.
    #[serde(default)]
    pub services: BTreeMap<String, Service>,
    /// The networks the services join (`null` means all defaults).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Option<Network>>,
    /// The named volumes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Option<Volume>>,
}

/// A shell string (`"sleep 1"`, run by `/bin/sh -c`) or an exec list (`["sleep", "1"]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Command {
    /// Exec form: the argument vector itself.
    Exec(Vec<String>),
    /// Shell form.
    Shell(String),
}

/// A top-level network.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // the Compose Specification's keys
pub struct Network {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ipv6: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `networks.*.ipam`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ipam {
    /// Address pools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamConfig>,
    /// The IPAM driver (`default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
}

/// One `ipam.config` pool.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // the Compose Specification's keys
pub struct IpamConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
}

/// A top-level named volume.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // the Compose Specification's keys
pub struct Volume {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
