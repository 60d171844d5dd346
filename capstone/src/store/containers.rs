//! Container records: one JSON file per container, written atomically, read-modify-written
//! under the container's flock(2) (see [`super`] for the layout). Reading never changes
//! anything: a record that says `running` whose processes are gone is noticed by the engine
//! (`Engine::reconcile`), not here.
//!
//! A new record is fsync(2)ed, so it survives a power cut; later status changes are not
//! (that would cost a few disk flushes per `run`): after a power cut every container is
//! stopped anyway, and the engine's reconcile records that from the dead pids.

use super::Paths;
use crate::model::container::Container;
use crate::{Error, Result};
use std::path::Path;

/// Writes a new `record` into `dir`, a container directory that is not in the store yet (the
/// caller renames it in, whole), so a plain write is enough: no reader can see half of it.
/// It is fsync(2)ed so that it survives a power cut, except a `--rm` container's: that is
/// removed when the container exits, and after a power cut it would only be an exited
/// container nobody asked to keep, so two disk flushes per `run --rm` would buy nothing.
pub fn save_new(paths: &Paths, dir: &Path, record: &Container) -> Result<()> {
    let file_name = paths.record(&record.id);
    let path = dir.join(file_name.file_name().expect("a record has a file name"));
    let json = serde_json::to_vec_pretty(record).expect("a container record serialises");
    let mut file = std::fs::File::create_new(&path).map_err(Error::io("create", &path))?;
    std::io::Write::write_all(&mut file, &json).map_err(Error::io("write", &path))?;
    if !record.host_config.auto_remove {
        file.sync_all().map_err(Error::io("fsync", &path))?;
    }
    Ok(())
}

/// Replaces `record`'s file atomically but without fsync(2): a temporary file beside it, then
/// rename(2), which no process death can leave half done (see the module docs for why a power
/// cut is fine).
fn save_change(paths: &Paths, record: &Container) -> Result<()> {
    let path = paths.record(&record.id);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(Error::io("create temporary file in", dir))?;
    // One write(2) of the whole record (serialising straight into the file makes hundreds).
    let json = serde_json::to_vec_pretty(record).expect("a container record serialises");
    std::io::Write::write_all(&mut tmp, &json).map_err(Error::io("write", &path))?;
    tmp.persist(&path)
        .map_err(|e| Error::io("rename into place", &path)(e.error))?;
    Ok(())
}

/// Reads one record.
pub fn load(paths: &Paths, id: &str) -> Result<Container> {
    let path = paths.record(id);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NoSuchContainer(id.into()));
        }
        Err(e) => return Err(Error::io("read", &path)(e)),
    };
    serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
        path,
        why: e.to_string(),
    })
}

/// Every container with a complete record, oldest first. A new container's directory arrives
/// whole (`engine::create`); one without a record is left by an older engine's `create` that
/// died half-way: it is not a container, and is skipped.
pub fn list(paths: &Paths) -> Result<Vec<Container>> {
    let dir = paths.containers();
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(Error::io("list", &dir))? {
        let entry = entry.map_err(Error::io("list", &dir))?;
        let id = entry.file_name().to_string_lossy().into_owned();
        match load(paths, &id) {
            Ok(c) => all.push(c),
            Err(Error::NoSuchContainer(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    all.sort_by(|a, b| a.created.cmp(&b.created));
    Ok(all)
}

/// Finds a container by full id, name, or unique id prefix (as Docker does).
pub fn find(paths: &Paths, query: &str) -> Result<Container> {
    let query = query.strip_prefix('/').unwrap_or(query);
    let all = list(paths)?;
    if let Some(c) = all.iter().find(|c| c.id == query || c.name == query) {
        return Ok(c.clone());
    }
    let mut matches = all
        .into_iter()
        .filter(|c| !query.is_empty() && c.id.starts_with(query));
    match (matches.next(), matches.next()) {
        (Some(c), None) => Ok(c),
        (Some(_), Some(_)) => Err(Error::Ambiguous(query.into())),
        _ => Err(Error::NoSuchContainer(query.into())),
    }
}

/// Read-modify-write of one record under its lock: `change` sees the current record.
pub fn update(paths: &Paths, id: &str, change: impl FnOnce(&mut Container)) -> Result<Container> {
    let _lock = paths.lock(id)?;
    let mut record = load(paths, id)?;
    change(&mut record);
    save_change(paths, &record)?;
    Ok(record)
}
