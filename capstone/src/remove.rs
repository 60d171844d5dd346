//! Removing a container: its cgroup, its record, its layer and its log, in the order that keeps
//! the store usable if we die half-way — the record goes first, so a crash leaves at most an
//! orphan directory that no command mistakes for a container (and `system prune` removes).

use crate::container::Container;
use crate::{Error, Result, cgroup, state};

/// Removes a container that has no live process. Teardown collects errors instead of stopping
/// at the first, so a half-failed removal still removes what it can.
pub fn remove(paths: &state::Paths, record: &Container) -> Result<()> {
    let _lock = paths.lock(&record.id)?;
    let mut first_error = cgroup::remove(record).err();
    // Normally done by the monitor at exit; again here for a monitor that was killed.
    if let Err(e) = crate::network::attach::disconnect_all(paths, record) {
        first_error.get_or_insert(e);
    }
    let record_path = paths.record(&record.id);
    match std::fs::remove_file(&record_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("remove", record_path)(e)),
    }
    let dir = paths.container_dir(&record.id);
    if let Err(e) = std::fs::remove_dir_all(&dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        first_error.get_or_insert(Error::io("remove", dir)(e));
    }
    let _ = std::fs::remove_file(
        paths
            .runroot
            .join("locks")
            .join(format!("{}.lock", record.id)),
    );
    if record.host_config.auto_remove
        && let Err(e) = crate::volumes::store::remove_anonymous(paths, record)
    {
        first_error.get_or_insert(e); // `--rm` takes its anonymous volumes along, as Docker's
    }
    first_error.map_or(Ok(()), Err)
}
