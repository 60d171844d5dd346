//! At `create`: from the parsed `-v`/`--mount` specs and the image's `Volumes` to the
//! [`MountPoint`]s kept in the container's record, making the volumes that do not exist yet.
//! Nothing is mounted here — that happens in the container's own mount namespace at start
//! (`mechanisms::volumes::mount`); the record only says what to mount where.

use super::events::{self, Event};
use crate::model::ids;
use crate::model::mounts::{Kind, MountPoint};
use crate::model::volume_spec::{self, Source, Spec};
use crate::store::volumes::{self as volume_store, ANONYMOUS_LABEL};
use crate::{Engine, Error, Result, store};
use oci_spec::image::ImageConfiguration;
use std::collections::BTreeMap;

/// The record's mounts for `specs` plus one anonymous volume for each image `VOLUME` that no
/// spec covers (Docker's rule), and the names of the volumes made for them. Call with the
/// volumes lock held (see [`volume_store::lock`]), and keep it until the record is saved, so no
/// `volume rm` can slip in between; on failure, nothing made is left behind.
pub fn prepare(
    paths: &store::Paths,
    specs: &[Spec],
    image: &ImageConfiguration,
) -> Result<(Vec<MountPoint>, Vec<String>)> {
    let mut all: Vec<Spec> = specs.to_vec();
    for dest in image_volumes(image) {
        let covered = all.iter().any(|s| s.destination == dest);
        if !covered {
            all.push(Spec {
                source: Source::Anonymous,
                destination: dest,
                mode: String::new(),
                rw: true,
                copy_up: true,
            });
        }
    }
    let mut made = Vec::new();
    let mut mounts = Vec::new();
    for spec in &all {
        match mount_point(paths, spec, &mut made) {
            Ok(m) => mounts.push(m),
            Err(e) => {
                discard(paths, &made);
                return Err(e);
            }
        }
    }
    Ok((mounts, made))
}

/// Removes volumes a failed `create` made (with the volumes lock still held).
pub fn discard(paths: &store::Paths, made: &[String]) {
    for name in made {
        let _ = volume_store::remove(paths, name);
    }
}

fn mount_point(paths: &store::Paths, spec: &Spec, made: &mut Vec<String>) -> Result<MountPoint> {
    let (kind, name, anonymous) = match &spec.source {
        Source::Host(path) => {
            return Ok(MountPoint {
                kind: Kind::Bind,
                name: String::new(),
                source: path.clone(),
                destination: spec.destination.clone(),
                mode: spec.mode.clone(),
                rw: spec.rw,
                anonymous: false,
                copy_up: false,
            });
        }
        Source::Named(name) => (Kind::Volume, name.clone(), false),
        Source::Anonymous => (Kind::Volume, ids::random_id()?, true),
    };
    let labels: BTreeMap<String, String> = if anonymous {
        [(ANONYMOUS_LABEL.to_string(), String::new())].into()
    } else {
        BTreeMap::new()
    };
    let (_, new) = volume_store::create(paths, &name, labels)?;
    if new {
        made.push(name.clone());
    }
    Ok(MountPoint {
        kind,
        source: volume_store::data_dir(paths, &name),
        name,
        destination: spec.destination.clone(),
        mode: spec.mode.clone(),
        rw: spec.rw,
        anonymous,
        copy_up: spec.copy_up,
    })
}

/// The image config's `Volumes` (a Dockerfile's `VOLUME`), cleaned like a `-v` destination;
/// a relative entry is taken from `/`, as Docker does.
pub fn image_volumes(image: &ImageConfiguration) -> Vec<String> {
    let volumes = image
        .config()
        .as_ref()
        .and_then(|c| c.volumes().clone())
        .unwrap_or_default();
    volumes
        .iter()
        .filter_map(|v| {
            volume_spec::clean_destination(v, &format!("/{}", v.trim_start_matches('/'))).ok()
        })
        .collect()
}

impl Engine {
    /// `volume create [NAME]` (a random 64-hex name when none is given) with the `local`
    /// driver, the only one here.
    pub fn create_volume(
        &self,
        name: Option<String>,
        driver: &str,
        labels: BTreeMap<String, String>,
    ) -> Result<volume_store::Volume> {
        if driver != "local" {
            return Err(Error::invalid(
                "--driver",
                driver,
                "this engine has only the `local` driver",
            ));
        }
        let name = match name {
            Some(n) => n,
            None => ids::random_id()?,
        };
        let _lock = volume_store::lock(&self.paths)?;
        let volume = volume_store::create(&self.paths, &name, labels)?.0;
        let attributes = [("driver", "local")];
        events::emit(
            &self.paths,
            Event::now("volume", "create", &name, &attributes),
        );
        Ok(volume)
    }

    /// `volume ls --filter …`: `dangling=true|false`, `name=PART`, `label=KEY[=VALUE]`.
    pub fn volumes(&self, filters: &[String]) -> Result<Vec<volume_store::Volume>> {
        let mut volumes = volume_store::list(&self.paths)?;
        let records = volume_store::records(&self.paths)?;
        for filter in filters {
            let bad = || {
                let why = "use dangling=true|false, name=PART or label=KEY[=VALUE]";
                Error::invalid("filter", filter.as_str(), why)
            };
            let (key, value) = filter.split_once('=').ok_or_else(bad)?;
            let dangling =
                |v: &volume_store::Volume| volume_store::users(&records, &v.name).is_empty();
            match (key, value) {
                ("dangling", "true" | "1") => volumes.retain(dangling),
                ("dangling", "false" | "0") => volumes.retain(|v| !dangling(v)),
                ("name", part) => volumes.retain(|v| v.name.contains(part)),
                ("label", label) => volumes.retain(|v| match label.split_once('=') {
                    Some((k, val)) => v.labels.get(k).is_some_and(|x| x == val),
                    None => v.labels.contains_key(label),
                }),
                _ => return Err(bad()),
            }
        }
        Ok(volumes)
    }

    /// `volume rm NAME`: refused while a container uses it.
    pub fn remove_volume(&self, name: &str) -> Result<()> {
        let _lock = volume_store::lock(&self.paths)?;
        volume_store::remove(&self.paths, name)?;
        let attributes = [("driver", "local")];
        events::emit(
            &self.paths,
            Event::now("volume", "destroy", name, &attributes),
        );
        Ok(())
    }
}
