//! How a compose project is recognised among the engine's containers: Docker Compose keeps no
//! state of its own, it writes labels on every container it makes
//! (`com.docker.compose.project`, `.service`, `.container-number`, `.oneoff`,
//! `.config-hash`, …) and finds them again by those labels. So does capstone, with the same
//! names, so `docker compose` pointed at this engine sees the same project.
//!
//! Reference: Docker Compose's `pkg/api/labels.go`.

use super::load::Project;
use super::spec::Service;
use crate::model::container::Container;
use std::collections::BTreeMap;

/// The project's name.
pub const PROJECT: &str = "com.docker.compose.project";
/// The service's name.
pub const SERVICE: &str = "com.docker.compose.service";
/// 1, 2, …: which replica.
pub const NUMBER: &str = "com.docker.compose.container-number";
/// `True` for a `run` container, `False` for a service's own.
pub const ONEOFF: &str = "com.docker.compose.oneoff";
/// The hash of the service's configuration the container was made from.
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
/// The project directory.
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
/// The compose files, comma-separated.
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
/// A named volume's key in the file.
pub const VOLUME: &str = "com.docker.compose.volume";
/// A network's key in the file.
pub const NETWORK: &str = "com.docker.compose.network";

/// `<project>-<service>-<n>`: Docker Compose v2's container names (v1 used `_`).
pub fn container_name(project: &str, service: &str, number: u32) -> String {
    format!("{project}-{service}-{number}")
}

/// The image a service runs: its `image:`, or `<project>-<service>` for a build without one.
pub fn image_name(project: &str, service_name: &str, service: &Service) -> String {
    service
        .image
        .clone()
        .unwrap_or_else(|| format!("{project}-{service_name}"))
}

/// The sha256 of the service's resolved configuration (as JSON): a container whose label
/// differs was made from another configuration and is recreated by `up`. `deploy.replicas`
/// is left out (scaling keeps the containers there are).
pub fn config_hash(service: &Service) -> String {
    let mut service = service.clone();
    if let Some(deploy) = service.deploy.as_mut() {
        deploy.replicas = None;
    }
    let json = serde_json::to_vec(&service).expect("a service serialises");
    images::digest::Digest::of(&json).hex().to_string()
}

/// The labels of a container of `service` (number `number`; `oneoff` for `run`).
pub fn for_container(
    project: &Project,
    service_name: &str,
    service: &Service,
    number: u32,
    oneoff: bool,
) -> BTreeMap<String, String> {
    let mut labels = service.labels.clone();
    let files: Vec<String> = project
        .config_files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let ours = [
        (PROJECT, project.name.clone()),
        (SERVICE, service_name.to_string()),
        (NUMBER, number.to_string()),
        (ONEOFF, if oneoff { "True" } else { "False" }.to_string()),
        (CONFIG_HASH, config_hash(service)),
        (WORKING_DIR, project.working_dir.display().to_string()),
        (CONFIG_FILES, files.join(",")),
    ];
    labels.extend(ours.into_iter().map(|(k, v)| (k.to_string(), v)));
    labels
}

/// A container's label, or "".
pub fn label<'a>(c: &'a Container, key: &str) -> &'a str {
    c.config.labels.get(key).map_or("", String::as_str)
}

/// Its replica number (0 when the label is missing).
pub fn number(c: &Container) -> u32 {
    label(c, NUMBER).parse().unwrap_or(0)
}

/// Whether it is a `run` container.
pub fn is_oneoff(c: &Container) -> bool {
    label(c, ONEOFF) == "True"
}
