//! Housekeeping of the [`Engine`]: `rename`, and the prunes of containers, images, networks,
//! volumes and the build cache, as Docker decides them. Names are claimed under the names lock (flock(2)), as
//! `create` claims them, so two renames (or a rename and a create) never end with one name
//! twice.

use super::Engine;
use super::images::Removed;
use crate::model::ids;
use crate::store::{containers, image_refs};
use crate::{Error, Result};

/// What a prune removed, and the bytes it gave back (`Total reclaimed space`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Container ids, or image lines (`Untagged`/`Deleted`) in Docker's order.
    pub removed: Vec<String>,
    /// Bytes freed on disk.
    pub reclaimed: u64,
}

impl Engine {
    /// `rename OLD NEW`: a container's name (running or not); refused when `new` is taken or
    /// is its current name, as Docker refuses. The container's hostname is left as it is.
    pub fn rename(&self, query: &str, new: &str) -> Result<()> {
        let new = new.strip_prefix('/').unwrap_or(new);
        ids::check_name(new)?;
        let _names = self.paths.lock_names()?;
        let record = containers::find(&self.paths, query)?;
        if record.name == new {
            return Err(Error::invalid(
                "new name",
                new,
                "it is already the container's name: choose another",
            ));
        }
        if let Some(holder) = containers::list(&self.paths)?
            .into_iter()
            .find(|c| c.name == new)
        {
            return Err(Error::NameInUse {
                name: new.into(),
                id: holder.id,
            });
        }
        let renamed = containers::update(&self.paths, &record.id, |c| c.name = new.into())?;
        let old_name = record.name.as_str();
        super::events::container(&self.paths, &renamed, "rename", &[("oldName", old_name)]);
        Ok(())
    }

    /// `container prune`: removes every container that is not running or paused; returns
    /// their ids and the bytes their directories held (upper layer, log, hosts files), and
    /// deletes what earlier removals left half-deleted and the directories a `create` killed
    /// half-way left without a record.
    pub fn prune_containers(&self) -> Result<Pruned> {
        let mut pruned = Pruned::default();
        for c in self.containers()?.into_iter().filter(|c| !c.is_active()) {
            let size = overlay::tree::disk_usage(&self.paths.container_dir(&c.id)).unwrap_or(0);
            match self.remove(&c.id, false, false) {
                Ok(()) => {}
                // Started, or removed, by another command meanwhile: not ours to prune.
                Err(Error::WrongState { .. } | Error::NoSuchContainer(_)) => continue,
                Err(e) => return Err(e),
            }
            pruned.reclaimed += size;
            pruned.removed.push(c.id);
        }
        self.prune_unrecorded(&mut pruned)?;
        pruned.reclaimed += super::remove::sweep_leftovers(&self.paths);
        Ok(pruned)
    }

    /// Deletes each container directory that has no record: not a container (`ps` never
    /// shows it), only disk a killed `create` left. Checked again under the container's lock
    /// and the names lock, which a `create` holds until its record is written.
    fn prune_unrecorded(&self, pruned: &mut Pruned) -> Result<()> {
        let dir = self.paths.containers();
        for entry in std::fs::read_dir(&dir)
            .map_err(Error::io("list", &dir))?
            .flatten()
        {
            let id = entry.file_name().to_string_lossy().into_owned();
            if self.paths.record(&id).exists() {
                continue;
            }
            let _lock = match self.paths.lock(&id) {
                Ok(lock) => lock,
                Err(Error::NoSuchContainer(_)) => continue, // removed meanwhile
                Err(e) => return Err(e),
            };
            let _names = self.paths.lock_names()?;
            if !self.paths.record(&id).exists() {
                let path = entry.path();
                pruned.reclaimed += overlay::tree::disk_usage(&path).unwrap_or(0);
                std::fs::remove_dir_all(&path).map_err(Error::io("remove", &path))?;
                pruned.removed.push(id);
            }
        }
        Ok(())
    }

    /// `image prune`: what no tag names (dangling images, old build steps) goes; with `all`,
    /// first every tag of an image no container uses, as Docker's `image prune -a` does.
    /// The bytes reclaimed are measured: the store's disk usage before and after.
    pub fn prune_images(&self, all: bool) -> Result<Pruned> {
        let mut pruned = Pruned::default();
        let usage = || overlay::tree::disk_usage(&self.paths.images()).unwrap_or(0);
        let before = usage();
        if all {
            let store = self.paths.store()?;
            let used: Vec<String> = self
                .containers()?
                .into_iter()
                .map(|c| c.image_manifest)
                .collect();
            for (tag, digest) in store.tags()? {
                if used.contains(&digest.to_string()) {
                    continue;
                }
                let removed = self.remove_image(&image_refs::familiar(&tag), false)?;
                for item in removed {
                    pruned.removed.push(match item {
                        Removed::Untagged(t) => format!("untagged: {}", image_refs::familiar(&t)),
                        Removed::Deleted(d) => format!("deleted: {d}"),
                    });
                }
            }
        }
        let swept = super::gc::sweep(&self.paths)?;
        if swept.blobs + swept.layers > 0 {
            pruned.removed.push(format!(
                "deleted: {} blobs, {} unpacked layers nothing names",
                swept.blobs, swept.layers
            ));
        }
        pruned.reclaimed = before.saturating_sub(usage());
        Ok(pruned)
    }
}

impl Engine {
    /// `network prune`: removes every network no container (running or stopped) is on; the
    /// predefined `bridge`, `host` and `none` stay. Returns the names removed.
    pub fn prune_networks(&self) -> Result<Vec<String>> {
        let containers = self.containers()?;
        let mut removed = Vec::new();
        for net in crate::store::networks::list(&self.paths)? {
            let used = containers.iter().any(|c| {
                c.network_settings.networks.contains_key(&net.name)
                    || c.host_config.network_mode == net.name
            });
            if used || matches!(net.name.as_str(), "bridge" | "host" | "none") {
                continue;
            }
            match self.remove_network(&net.name) {
                Ok(name) => removed.push(name),
                // Joined, or removed, by another command meanwhile: not ours to prune.
                Err(Error::NetworkInUse { .. } | Error::NoSuchNetwork(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }

    /// `POST /build/prune` and the end of `system prune`: drops the build cache's index entries
    /// (`<root>/build-cache/<key>`, each naming the manifest a step produced) whose image is no
    /// longer in the store — an image prune swept it — or, with `all`, every entry, so the next
    /// build runs every step. The step images themselves are untagged images, which the image
    /// prune frees. Returns the keys dropped and the bytes their files held.
    pub fn prune_build_cache(&self, all: bool) -> Result<Pruned> {
        let dir = self.paths.root.join("build-cache");
        let store = self.paths.store()?;
        let mut pruned = Pruned::default();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(pruned); // nothing was ever built
        };
        for entry in entries.flatten() {
            let key = entry.file_name().to_string_lossy().into_owned();
            if key.starts_with('.') {
                continue; // a build's entry being written (write_atomic's temporary file)
            }
            let path = entry.path();
            let names_an_image = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.trim().parse::<images::digest::Digest>().ok())
                .is_some_and(|digest| store.image_by_digest(&digest).is_ok());
            if names_an_image && !all {
                continue;
            }
            let size = entry.metadata().map_or(0, |m| m.len());
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                // Dropped by another prune meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("remove", &path)(e)),
            }
            pruned.reclaimed += size;
            pruned.removed.push(key);
        }
        Ok(pruned)
    }

    /// `volume prune [-a]`: unused anonymous volumes (every unused volume with `all`); returns
    /// their names and the bytes freed.
    pub fn prune_volumes(&self, all: bool) -> Result<(Vec<String>, u64)> {
        crate::store::volumes::prune(&self.paths, all)
    }
}
