//! What `capstone-runtime` keeps about a container between its commands: one directory per
//! container under `--root` (runc's default is `/run/runc`; ours `/run/capstone-runtime`),
//! holding `state.json` and, until `start`, the exec fifo. Files only: no process is looked
//! at here (the engine decides whether the recorded pid still runs).

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The default `--root`.
pub const DEFAULT_ROOT: &str = "/run/capstone-runtime";

/// The FIFO a created container waits on until `start` opens it (see `mechanisms::oci::hooks`).
pub const EXEC_FIFO: &str = "exec.fifo";

/// One container's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// The container's id, as the caller named it.
    pub id: String,
    /// Its first process, as the host sees it.
    pub pid: i32,
    /// That process's start time (`/proc/PID/stat` field 22), since pids are reused.
    pub pid_start: u64,
    /// The bundle directory, absolute.
    pub bundle: PathBuf,
    /// The root filesystem, absolute.
    pub rootfs: PathBuf,
    /// When it was created (RFC 3339).
    pub created: String,
    /// The user who created it.
    pub owner: String,
    /// The spec's annotations.
    pub annotations: HashMap<String, String>,
    /// The cgroup, relative to each hierarchy's root.
    pub cgroup: String,
    /// The bundle's `ociVersion`, which runc's state reports back.
    #[serde(default)]
    pub oci_version: String,
    /// Frozen by `pause`.
    #[serde(default)]
    pub paused: bool,
}

/// The directory of container `id` under `root`, after checking the id cannot name anything
/// else: letters, digits and `_ + - .`, as runc allows, never `.` or `..`.
pub fn dir(root: &Path, id: &str) -> Result<PathBuf> {
    let ok = !id.is_empty()
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+-.".contains(c));
    if !ok {
        bail!("invalid container id {id:?}: use letters, digits and _ + - . only");
    }
    Ok(root.join(id))
}

/// Reads the record of `id`; runc's wording when there is none, which callers match.
pub fn load(root: &Path, id: &str) -> Result<Record> {
    let path = dir(root, id)?.join("state.json");
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("container does not exist")
        }
        Err(e) => return Err(e).with_context(|| format!("read {}", path.display())),
    };
    serde_json::from_slice(&text).with_context(|| format!("{} is corrupt", path.display()))
}

/// Writes the record (temp file, fsync, rename: a reader never sees half of it).
pub fn save(root: &Path, record: &Record) -> Result<()> {
    let path = dir(root, &record.id)?.join("state.json");
    images::store::write_atomic(&path, &serde_json::to_vec_pretty(record)?)
        .with_context(|| format!("write {}", path.display()))
}

/// Every container id under `root`, sorted.
pub fn ids(root: &Path) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(e).with_context(|| format!("read {}", root.display())),
    };
    for entry in entries.flatten() {
        if entry.path().join("state.json").exists() {
            ids.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    ids.sort();
    Ok(ids)
}
