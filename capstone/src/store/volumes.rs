//! The engine's volumes on disk, laid out as Docker's `local` driver lays them out:
//!
//! ```text
//! <root>/volumes/NAME/_data         the content, bind-mounted into containers (mount(2))
//! <root>/volumes/NAME/volume.json   name, creation time, labels
//! <runroot>/locks/volumes.lock      flock(2) held while volumes are made, checked or removed
//! ```
//!
//! A volume appears whole or not at all: it is made in a hidden temporary directory and
//! rename(2)d into place, and removed by renaming it away first. The volumes lock is always the
//! *last* lock taken (after the names lock or a container's lock, never before), so no two
//! commands can wait on each other in a circle.

use crate::error::VolumeError;
use crate::model::clock;
use crate::model::container::Container;
use crate::model::mounts::{Kind, MountPoint};
use crate::model::volume_spec;
use crate::{Error, Result, store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

/// The label Docker (23+) puts on anonymous volumes; `volume prune` removes only these
/// unless `--all` is given.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// One volume's metadata (`volume.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    /// Its name (Docker's rule, or 64 hex digits for an anonymous one).
    pub name: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// `--label` values, and [`ANONYMOUS_LABEL`] for anonymous volumes.
    pub labels: BTreeMap<String, String>,
}

impl Volume {
    /// Made for one container (`-v /path`, an image's `VOLUME`).
    pub fn is_anonymous(&self) -> bool {
        self.labels.contains_key(ANONYMOUS_LABEL)
    }

    /// `docker volume inspect`'s fields.
    pub fn to_json(&self, paths: &store::Paths) -> serde_json::Value {
        serde_json::json!({
            "CreatedAt": self.created_at, "Driver": "local", "Labels": self.labels,
            "Mountpoint": data_dir(paths, &self.name), "Name": self.name,
            "Options": null, "Scope": "local",
        })
    }
}

/// `<root>/volumes`.
pub fn volumes_dir(paths: &store::Paths) -> PathBuf {
    paths.root.join("volumes")
}

/// The directory that is bind-mounted into containers: `<root>/volumes/NAME/_data`.
pub fn data_dir(paths: &store::Paths, name: &str) -> PathBuf {
    volumes_dir(paths).join(name).join("_data")
}

/// Takes the volumes lock (flock(2), released when dropped or when the process dies).
pub fn lock(paths: &store::Paths) -> Result<store::Lock> {
    store::lock_file(&paths.runroot.join("locks/volumes.lock"))
}

/// Makes volume `name` unless it exists; returns it and whether it is new. Call with the
/// volumes lock held.
pub fn create(
    paths: &store::Paths,
    name: &str,
    labels: BTreeMap<String, String>,
) -> Result<(Volume, bool)> {
    volume_spec::check_name(name)?;
    if let Ok(existing) = get(paths, name) {
        return Ok((existing, false));
    }
    let top = volumes_dir(paths);
    // 0700: only root walks to the data; containers reach it through their bind mount.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&top)
        .map_err(Error::io("create", &top))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(&top)
        .map_err(Error::io("create temporary directory in", &top))?;
    let data = tmp.path().join("_data");
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(&data)
        .map_err(Error::io("create", &data))?;
    let volume = Volume {
        name: name.into(),
        created_at: clock::now(),
        labels,
    };
    let json = serde_json::to_vec_pretty(&volume).expect("a volume serialises");
    images::store::write_atomic(&tmp.path().join("volume.json"), &json)?;
    // tempdir is 0700; the volume's own directory is 0701 like Docker's.
    let dir = top.join(name);
    let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o701));
    std::fs::rename(tmp.path(), &dir).map_err(Error::io("rename into place", &dir))?;
    let _ = tmp.keep();
    Ok((volume, true))
}

/// Reads volume `name`.
pub fn get(paths: &store::Paths, name: &str) -> Result<Volume> {
    if volume_spec::check_name(name).is_err() {
        return Err(VolumeError::NoSuchVolume(name.into()).into());
    }
    let path = volumes_dir(paths).join(name).join("volume.json");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VolumeError::NoSuchVolume(name.into()).into());
        }
        Err(e) => return Err(Error::io("read", &path)(e)),
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        VolumeError::Corrupt {
            path,
            why: e.to_string(),
        }
        .into()
    })
}

/// Every volume, oldest first (hidden temporary directories skipped).
pub fn list(paths: &store::Paths) -> Result<Vec<Volume>> {
    let top = volumes_dir(paths);
    let entries = match std::fs::read_dir(&top) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::io("list", &top)(e)),
    };
    let mut all = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        match get(paths, &name) {
            Ok(v) => all.push(v),
            Err(Error::Volume(VolumeError::NoSuchVolume(_))) => continue,
            Err(e) => return Err(e),
        }
    }
    all.sort_by(|a, b| (&a.created_at, &a.name).cmp(&(&b.created_at, &b.name)));
    Ok(all)
}

/// Every container record, as stored (no liveness refresh: that would take container locks,
/// and the volumes lock must stay the last one taken).
pub fn records(paths: &store::Paths) -> Result<Vec<Container>> {
    let dir = paths.containers();
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .map_err(Error::io("list", &dir))?
        .flatten()
    {
        match crate::store::containers::load(paths, &entry.file_name().to_string_lossy()) {
            Ok(c) => all.push(c),
            Err(Error::NoSuchContainer(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(all)
}

/// Ids of the containers — running or not — whose record mounts volume `name`.
pub fn users(all: &[Container], name: &str) -> Vec<String> {
    all.iter()
        .filter(|c| c.mounts.iter().any(|m| uses(m, name)))
        .map(|c| c.id.clone())
        .collect()
}

fn uses(m: &MountPoint, name: &str) -> bool {
    m.kind == Kind::Volume && m.name == name
}

/// Removes volume `name` if no container uses it (Docker's "volume is in use" otherwise);
/// returns the space it used. Call with the volumes lock held.
pub fn remove(paths: &store::Paths, name: &str) -> Result<u64> {
    get(paths, name)?;
    let users = users(&records(paths)?, name);
    if !users.is_empty() {
        return Err(VolumeError::InUse {
            name: name.into(),
            containers: users,
        }
        .into());
    }
    let dir = volumes_dir(paths).join(name);
    let size = overlay::tree::disk_usage(&data_dir(paths, name)).unwrap_or(0);
    // Rename first: from here on it is no longer a volume, even if the removal is cut short.
    let doomed = volumes_dir(paths).join(format!(".rm-{}", crate::model::ids::random_id()?));
    std::fs::rename(&dir, &doomed).map_err(Error::io("rename away", &dir))?;
    std::fs::remove_dir_all(&doomed).map_err(Error::io("remove", &doomed))?;
    Ok(size)
}

/// After `rm -v` or a `--rm` container's end: removes the container's anonymous volumes that
/// no other container uses. Named volumes always stay, as in Docker.
pub fn remove_anonymous(paths: &store::Paths, record: &Container) -> Result<()> {
    let _lock = lock(paths)?;
    let mut first_error = None;
    for m in record.mounts.iter().filter(|m| m.anonymous) {
        match remove(paths, &m.name) {
            Ok(_) => {}
            Err(Error::Volume(VolumeError::NoSuchVolume(_) | VolumeError::InUse { .. })) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// `volume prune`: removes unused anonymous volumes (every unused volume with `all`), and
/// what an interrupted create or remove left; returns the names removed and the space freed.
pub fn prune(paths: &store::Paths, all: bool) -> Result<(Vec<String>, u64)> {
    let _lock = lock(paths)?;
    let records = records(paths)?;
    let (mut removed, mut freed) = (Vec::new(), 0);
    for v in list(paths)? {
        if (all || v.is_anonymous()) && users(&records, &v.name).is_empty() {
            freed += remove(paths, &v.name)?;
            removed.push(v.name);
        }
    }
    if let Ok(entries) = std::fs::read_dir(volumes_dir(paths)) {
        for leftover in entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        {
            let _ = std::fs::remove_dir_all(leftover.path());
        }
    }
    Ok((removed, freed))
}
