//! The project's networks and named volumes: made by `up` before any container (named
//! `<project>_<key>` unless the file names them), removed by `down` (volumes only with `-v`).
//! `external: true` ones belong to someone else: they must exist, and are never removed.
//! `internal: true` ones give their containers no route out (lesson 06 seals the bridge).

use super::error::{ComposeError, Result};
use super::labels;
use super::session::Session;
use crate::Error;
use std::collections::BTreeMap;

/// Makes every network of the project that does not exist yet.
pub fn ensure_networks(s: &Session) -> Result<()> {
    for (key, network) in &s.project.model.networks {
        let network = network.clone().unwrap_or_default();
        let name = network
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{key}", s.project.name));
        if network.external == Some(true) {
            s.engine.network(&name).map_err(|_| {
                ComposeError::Project(format!(
                    "network {name} declared as external, but could not be found: create it with `capstone network create {name}`"
                ))
            })?;
            continue;
        }
        let subnet = network
            .ipam
            .as_ref()
            .and_then(|i| i.config.first())
            .and_then(|c| c.subnet.as_deref());
        let driver = network.driver.as_deref();
        let internal = network.internal == Some(true);
        match (s.engine).create_network_with(&name, driver, subnet, &[], internal) {
            Ok(_) => eprintln!(" Network {name}  Created"),
            Err(Error::NetworkExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Makes every named volume of the project that does not exist yet, labelled as Docker
/// Compose labels them.
pub fn ensure_volumes(s: &Session) -> Result<()> {
    let existing: Vec<String> = s.engine.volumes(&[])?.into_iter().map(|v| v.name).collect();
    for (key, volume) in &s.project.model.volumes {
        let volume = volume.clone().unwrap_or_default();
        let name = volume
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{key}", s.project.name));
        if existing.contains(&name) {
            continue;
        }
        if volume.external == Some(true) {
            return Err(ComposeError::Project(format!(
                "external volume \"{name}\" not found: create it with `capstone volume create {name}`"
            )));
        }
        let mut labels_made = volume.labels.clone();
        labels_made.insert(labels::PROJECT.into(), s.project.name.clone());
        labels_made.insert(labels::VOLUME.into(), key.clone());
        let driver = volume.driver.as_deref().unwrap_or("local");
        s.engine
            .create_volume(Some(name.clone()), driver, labels_made)?;
        eprintln!(" Volume {name}  Created");
    }
    Ok(())
}

/// `down`: removes the project's own networks (each once no container holds an address on
/// it), and with `volumes` its own named volumes. Every removal is tried; the errors are
/// collected, so a half-failed `down` still removes what it can.
pub fn remove(s: &Session, volumes: bool) -> Vec<ComposeError> {
    let mut errors = Vec::new();
    let own = |external: Option<bool>| external != Some(true);
    for (key, network) in &s.project.model.networks {
        let network = network.clone().unwrap_or_default();
        let name = network
            .name
            .unwrap_or_else(|| format!("{}_{key}", s.project.name));
        if !own(network.external) {
            continue;
        }
        match s.engine.remove_network(&name) {
            Ok(_) => eprintln!(" Network {name}  Removed"),
            Err(Error::NoSuchNetwork(_)) => {}
            Err(e) => errors.push(e.into()),
        }
    }
    if volumes {
        let present: BTreeMap<String, ()> = s
            .engine
            .volumes(&[])
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.name, ()))
            .collect();
        for (key, volume) in &s.project.model.volumes {
            let volume = volume.clone().unwrap_or_default();
            let name = volume
                .name
                .unwrap_or_else(|| format!("{}_{key}", s.project.name));
            if !own(volume.external) || !present.contains_key(&name) {
                continue;
            }
            match s.engine.remove_volume(&name) {
                Ok(()) => eprintln!(" Volume {name}  Removed"),
                Err(e) => errors.push(e.into()),
            }
        }
    }
    errors
}
