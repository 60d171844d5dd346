//! Removing a container: its cgroup, its record, its layer and its log, in the order that keeps
//! the store usable if we die half-way — the record goes first, so a crash leaves at most an
//! orphan directory that no command mistakes for a container (and `system prune` removes).

use crate::mechanisms::cgroup;
use crate::model::container::Container;
use crate::{Error, Result, store};

/// Removes a container that has no live process. Teardown collects errors instead of stopping
/// at the first, so a half-failed removal still removes what it can.
pub fn remove(paths: &store::Paths, record: &Container) -> Result<()> {
    let _lock = paths.lock(&record.id)?;
    super::events::container(paths, record, "destroy", &[]);
    let mut errors: Vec<Error> = cgroup::remove(record).err().into_iter().collect();
    // Normally done by the monitor at exit; again here for a monitor that was killed.
    errors.extend(crate::mechanisms::network::attach::disconnect_all(paths, record).err());
    let record_path = paths.record(&record.id);
    match std::fs::remove_file(&record_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("remove", record_path)(e)),
    }
    let dir = paths.container_dir(&record.id);
    if let Err(e) = remove_tree(&dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        errors.push(Error::io("remove", dir)(e));
    }
    let _ = std::fs::remove_file(
        paths
            .runroot
            .join("locks")
            .join(format!("{}.lock", record.id)),
    );
    if record.host_config.auto_remove
        && let Err(e) = crate::store::volumes::remove_anonymous(paths, record)
    {
        errors.push(e); // `--rm` takes its anonymous volumes along, as Docker's
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Teardown(errors)),
    }
}

/// Removes a container's directory: each entry (its `upper`, `work` and `merged` directories,
/// its log…) on a thread of its own, then the directory. Every rmdir(2) or unlink(2) that frees
/// a block may wait for the disk — on a file system mounted with `discard` and no journal, the
/// discard is issued and waited for right there (ext4's `ext4_free_blocks`) — so the waits of
/// independent subtrees overlap instead of adding up. Each subtree goes with std's
/// `remove_dir_all`, which never follows a symlink out of it.
fn remove_tree(dir: &std::path::Path) -> std::io::Result<()> {
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    std::thread::scope(|scope| {
        let removing: Vec<_> = (entries.iter())
            .map(|entry| {
                scope.spawn(move || match entry.file_type()?.is_dir() {
                    true => std::fs::remove_dir_all(entry.path()),
                    false => std::fs::remove_file(entry.path()),
                })
            })
            .collect();
        (removing.into_iter())
            .try_for_each(|thread| thread.join().expect("removing a file does not panic"))
    })?;
    std::fs::remove_dir(dir)
}
