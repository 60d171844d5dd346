//! Removing a container: its cgroup, its record, its layer and its log. The record and the
//! directory that holds everything else leave the store together, in one rename(2) into
//! `<root>/removing/`: a reader sees the container whole or not at all, and a crash leaves at
//! most a directory there, which no command mistakes for a container and `container prune` or
//! `system prune` deletes. The files themselves are deleted in the background (see
//! `delete_in_background`).

use crate::mechanisms::cgroup;
use crate::model::container::Container;
use crate::{Error, Result, store};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// Removes a container that has no live process. Teardown collects errors instead of stopping
/// at the first, so a half-failed removal still removes what it can.
pub fn remove(paths: &store::Paths, record: &Container) -> Result<()> {
    // Gone already (removed meanwhile): what is left outside the store is still undone.
    let _lock = match paths.lock(&record.id) {
        Ok(lock) => Some(lock),
        Err(Error::NoSuchContainer(_)) => None,
        Err(e) => return Err(e),
    };
    super::events::container(paths, record, "destroy", &[]);
    let mut errors: Vec<Error> = cgroup::remove(record).err().into_iter().collect();
    // Normally done by the monitor at exit; again here for a monitor that was killed.
    errors.extend(crate::mechanisms::network::attach::disconnect_all(paths, record).err());
    // ANCHOR: move_out
    let dir = paths.container_dir(&record.id);
    unmount_inside(&dir);
    let removing = paths.removing().join(&record.id);
    let moved =
        std::fs::create_dir_all(paths.removing()).and_then(|()| std::fs::rename(&dir, &removing));
    match moved {
        Ok(()) => delete_in_background(&removing),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {} // removed meanwhile
        Err(e) => {
            return Err(Error::io("rename the container's directory to", removing)(
                e,
            ));
        }
    }
    // ANCHOR_END: move_out
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

/// Detaches whatever is mounted inside `dir` in our mount namespace (umount2(2) with
/// `MNT_DETACH`, deepest first), as Docker unmounts before it deletes a container's
/// directory: deleting through a mount point would delete someone else's files. A
/// container's own mounts live in its mount namespace and die with it; one here is a
/// leftover or a user's `mount --bind`.
fn unmount_inside(dir: &Path) {
    let Ok(points) = namespaces::mounts::mount_points() else {
        return;
    };
    let mut inside: Vec<&String> = (points.iter())
        .filter(|point| Path::new(point).starts_with(dir))
        .collect();
    inside.sort_by_key(|point| std::cmp::Reverse(point.len()));
    for point in inside {
        let _ = nix::mount::umount2(point.as_str(), nix::mount::MntFlags::MNT_DETACH);
    }
}

/// Deletes a directory that has left the store, without waiting for it: [`rm_rf`] in a
/// process group of its own (a Ctrl-C at the terminal does not reach it).
///
/// Why not here and now: every unlink(2) or rmdir(2) that frees a block may wait for the disk.
/// On a file system mounted with `discard` and no journal, ext4 issues the discard and waits
/// for it right there (`ext4_free_blocks`), and a container's directory holds a dozen such
/// blocks (its record, its log, `upper`, `work` and the directories overlayfs makes inside
/// it): 0.6–1.3 ms of every `run --rm` on the lab machine, more for a layer with data.
/// containerd's overlay snapshotter can defer its removals for the same reason. If `rm`
/// cannot start, the directory is deleted here instead; if it dies half-way,
/// [`sweep_leftovers`] finishes the job.
fn delete_in_background(dir: &Path) {
    match rm_rf(dir).process_group(0).spawn() {
        // A thread waits for it, so a long-lived caller (the API daemon) is left no zombie; a
        // command that exits first leaves it to the kernel, which hands it to init.
        Ok(mut rm) => drop(std::thread::spawn(move || rm.wait())),
        Err(_) => drop(std::fs::remove_dir_all(dir)),
    }
}

/// `rm -rf --one-file-system DIR`, its stdio on `/dev/null` (a caller reading our output to
/// its end must not wait for it). `--one-file-system` (coreutils' rm(1)): should a file system
/// be mounted inside after all (after [`unmount_inside`]), it is skipped, not emptied.
fn rm_rf(dir: &Path) -> Command {
    let mut rm = Command::new("rm");
    rm.args(["-rf", "--one-file-system", "--"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    rm
}

/// Deletes what removals left under `<root>/removing/` (an `rm` killed half-way, a crash
/// between the rename and the delete) and what a `create` that died left under
/// `<root>/creating/`, and returns the bytes that freed. An `rm` still at work on an entry is
/// harmless: whichever deletes a file first, the other finds it gone.
pub fn sweep_leftovers(paths: &store::Paths) -> u64 {
    let mut freed = sweep(&paths.removing());
    // A `create` still at work holds the names lock until its directory is in the store.
    if let Ok(_names) = paths.lock_names() {
        freed += sweep(&paths.creating());
    }
    freed
}

/// Deletes every entry of `dir`; returns the bytes that freed.
fn sweep(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut freed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let size = overlay::tree::disk_usage(&path).unwrap_or(0);
        if rm_rf(&path).status().is_ok_and(|s| s.success()) {
            freed += size;
        }
    }
    freed
}
