//! A container's files for `export` and `cp`, seen from a thread of our own:
//!
//! - [`read_only`] (`export`): the container's layers mounted again as one read-only overlay,
//!   in a mount namespace of our own, so nothing of it is ever visible on the host or to
//!   other commands; no volumes.
//! - [`chrooted`] (`cp`): a thread whose `/` *is* the container's root — its live root through
//!   `/proc/PID/root` while it runs (volumes included, as Docker's `cp` sees them), or its
//!   overlay mounted writable in a private mount namespace while it is stopped. chroot(2) on a
//!   thread that unshared `CLONE_FS` confines every lookup it makes, symlinks and `..`
//!   included, to the container's root — even one the container changes while we copy (the
//!   race behind Docker's CVE-2018-15664, which Docker fixed the same way, with a chroot).
//!
//! Why a thread: unshare(2) with `CLONE_NEWNS` gives a new mount namespace to the *calling
//! thread* only (it implies `CLONE_FS`, which a thread may unshare from its process). A scoped
//! thread unshares, mounts, does the work and ends; the kernel frees its namespace, and the
//! mount with it, when the thread exits — nothing to unmount, even if the work fails, and the
//! rest of the process (a daemon's other threads) never sees the mount. No fork(2) of a
//! process that may have threads.

use crate::model::container::{Container, Rootfs};
use crate::{Error, Result};
use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};
use std::path::Path;

/// Runs `work` with the path of a **read-only** view of `rootfs`: an overlay whose lower
/// layers are the container's upper layer on top of its image's layers
/// (`lowerdir=upper:top:…:base`, no upper: overlayfs(5) honours the whiteouts and opaque
/// directories of every lower layer). The container may be running: its upper directory is
/// only read, never used as a second overlay's upper (which the kernel refuses).
pub fn read_only<T: Send>(
    rootfs: &Rootfs,
    scratch: &Path,
    work: impl FnOnce(&Path) -> Result<T> + Send,
) -> Result<T> {
    let mut lowers = vec![rootfs.upper_dir.display().to_string()];
    lowers.extend(rootfs.lower_dirs.iter().map(|p| p.display().to_string()));
    if lowers.iter().any(|l| l.contains([':', ','])) {
        return Err(Error::invalid(
            "layer path",
            lowers.join(":"),
            "overlayfs options cannot name a path with ':' or ','; use a --root without them",
        ));
    }
    let options = format!("lowerdir={}", lowers.join(":"));
    let target = tempfile::Builder::new()
        .prefix("view-")
        .tempdir_in(scratch)
        .map_err(Error::io("create a mount point in", scratch))?;
    let target_path = target.path().to_path_buf();
    std::thread::scope(|s| {
        s.spawn(move || {
            private_mount_namespace()?;
            mount(
                Some("overlay"),
                &target_path,
                Some("overlay"),
                MsFlags::MS_RDONLY,
                Some(options.as_str()),
            )
            .map_err(Error::sys(format!(
                "mount(2) overlay {options} on {}",
                target_path.display()
            )))?;
            let result = work(&target_path);
            // The namespace goes with the thread anyway; detach now so the mount point is
            // plain when it is removed.
            let _ = nix::mount::umount2(&target_path, nix::mount::MntFlags::MNT_DETACH);
            result
        })
        .join()
        .unwrap_or_else(|_| Err(Error::invalid("view", "", "the worker thread panicked")))
    })
}

/// Gives this thread a mount namespace of its own whose mounts do not propagate back to the
/// host's (mount_namespaces(7): `MS_REC | MS_PRIVATE` on `/` right after unshare).
fn private_mount_namespace() -> Result<()> {
    unshare(CloneFlags::CLONE_NEWNS).map_err(Error::sys("unshare(CLONE_NEWNS)"))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(Error::sys("mount(2) MS_REC|MS_PRIVATE /"))
}

/// Runs `work` on a thread whose root directory (chroot(2)) and working directory are the
/// container's `/`: paths `work` opens are the container's paths, and cannot climb out.
/// Descriptors opened before (pipes, host files) stay usable.
pub fn chrooted<T: Send>(
    record: &Container,
    scratch: &Path,
    work: impl FnOnce() -> Result<T> + Send,
) -> Result<T> {
    let target = tempfile::Builder::new()
        .prefix("root-")
        .tempdir_in(scratch)
        .map_err(Error::io("create a mount point in", scratch))?;
    let mount_point = target.path().to_path_buf();
    let running = record.state.running && record.state.pid > 0;
    let root = if running {
        std::path::PathBuf::from(format!("/proc/{}/root", record.state.pid))
    } else {
        mount_point.clone()
    };
    let rootfs = &record.rootfs;
    std::thread::scope(|s| {
        s.spawn(move || {
            // The mount namespace (and the unshared filesystem context it implies) is this
            // thread's alone; a running container's root needs no mount, only the chroot.
            private_mount_namespace()?;
            let _mounted = if running {
                None
            } else {
                let layers = overlay::Overlay::new(
                    rootfs.lower_dirs.iter().cloned(),
                    &rootfs.upper_dir,
                    &rootfs.work_dir,
                );
                Some(layers.mount(&mount_point)?)
            };
            nix::unistd::chroot(&root)
                .map_err(Error::sys(format!("chroot(2) {}", root.display())))?;
            nix::unistd::chdir("/").map_err(Error::sys("chdir(2) /"))?;
            work()
        })
        .join()
        .unwrap_or_else(|_| Err(Error::invalid("copy", "", "the worker thread panicked")))
    })
}
