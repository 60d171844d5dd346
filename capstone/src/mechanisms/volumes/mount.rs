//! Mounting a container's volumes, from inside its new mount namespace, after its overlay
//! root is mounted and before pivot_root(2) (see `runtime::set_up`).
//!
//! A bind mount (mount(2) with `MS_BIND`) makes an existing directory or file appear at a
//! second place; it is the same inode, so writes on either side are one write. `MS_REC` takes
//! the mounts below the source along (an `rbind`, as Docker does).
//!
//! Read-only takes a second call. With `MS_BIND`, mount(2) ignores every flag but `MS_REC`:
//! the new mount starts with the source mount's flags. Only `MS_REMOUNT | MS_BIND` then changes
//! the *per-mount* flags of that one mount (`MS_RDONLY`, `MS_NODEV`, …) without touching the
//! filesystem itself — so `:ro` makes the container's view read-only while the host's stays
//! writable. Since Linux 5.12 mount_setattr(2) can do both in one step; two calls work
//! everywhere and show what happens.
//!
//! All of this happens in the container's own mount namespace, made private first
//! (mount_namespaces(7)): nothing propagates to the host, and every volume mount disappears
//! with the namespace when the container's last process exits.

use super::{copy_up, resolve};
use crate::error::VolumeError;
use crate::model::container::Container;
use crate::model::mounts::{Kind, MountPoint};
use crate::{Error, Result};
use nix::fcntl::{OFlag, open};
use nix::mount::{MsFlags, mount};
use nix::sys::stat::Mode;
use nix::sys::statvfs::{FsFlags, fstatvfs};
use std::os::fd::OwnedFd;
use std::path::Path;

/// Mounts every volume and bind mount of `record` into `root` (the merged overlay, not yet
/// pivoted into), parents before children so `/a` never hides `/a/b`.
pub fn mount_all(record: &Container, root: &Path) -> Result<()> {
    if record.mounts.is_empty() {
        return Ok(());
    }
    let root_fd = open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io("open root file system", root)(e.into()))?;
    let mut order: Vec<&MountPoint> = record.mounts.iter().collect();
    order.sort_by_key(|m| m.destination.matches('/').count());
    for m in order {
        mount_one(&root_fd, m, record.host_config.privileged)?;
    }
    Ok(())
}

// ANCHOR: mount_one
/// One mount: resolve the target inside the root, fill a new volume from the image, bind,
/// then remount with the per-mount flags.
fn mount_one(root: &OwnedFd, m: &MountPoint, privileged: bool) -> Result<()> {
    let fail = |why: String| VolumeError::Target {
        host: m.source.clone(),
        destination: m.destination.clone(),
        why,
    };
    let source_is_dir = match std::fs::metadata(&m.source) {
        Ok(meta) => meta.is_dir(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VolumeError::SourceMissing {
                path: m.source.clone(),
            }
            .into());
        }
        Err(e) => return Err(Error::io("look at mount source", &m.source)(e)),
    };
    let target = resolve::prepare(root, &m.destination, source_is_dir).map_err(fail)?;
    let target_path = resolve::fd_path(&target.fd);
    if m.kind == Kind::Volume && m.copy_up && target.existed {
        copy_up::populate(&m.source, &target_path)
            .map_err(|e| fail(format!("copying the image's files into the volume: {e}")))?;
    }
    // 1. The bind itself, onto the descriptor we resolved (never onto a path string that a
    //    symlink could redirect).
    mount(
        Some(&m.source),
        &target_path,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| fail(format!("mount(2) MS_BIND: {e}")))?;
    // 2. The flags. Our descriptor still names the directory *under* the new mount, so open
    //    the target again: this lookup crosses into the mount we just made.
    let mounted = resolve::open_in_root(root, &target.path)
        .map_err(|e| fail(format!("open the new mount: {e}")))?;
    let mut flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | kept_flags(&mounted);
    if !privileged {
        // Device nodes do not open on a volume, as on the image's root (see the runtime).
        flags |= MsFlags::MS_NODEV;
    }
    if !m.rw {
        flags |= MsFlags::MS_RDONLY;
    }
    mount(
        None::<&str>,
        &resolve::fd_path(&mounted),
        None::<&str>,
        flags,
        None::<&str>,
    )
    .map_err(|e| fail(format!("mount(2) MS_REMOUNT|MS_BIND: {e}")))?;
    Ok(())
}
// ANCHOR_END: mount_one

/// The source mount's restrictions (statfs(2)): a remount sets the per-mount flags to exactly
/// what it is given, so leaving out `nosuid` of a host `/tmp` would quietly lift it (and, in a
/// user namespace, such "locked" flags cannot be lifted at all: the remount would fail).
fn kept_flags(fd: &OwnedFd) -> MsFlags {
    let Ok(stat) = fstatvfs(fd) else {
        return MsFlags::empty();
    };
    let pairs = [
        (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY),
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
    ];
    pairs
        .into_iter()
        .filter(|(st, _)| stat.flags().contains(*st))
        .fold(MsFlags::empty(), |acc, (_, ms)| acc | ms)
}
