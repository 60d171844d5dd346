//! The mini container of lesson 01, opened up so confinement can be added between its set-up
//! and execve(2): a step clones a child into new namespaces with
//! [`namespaces::process::spawn`], the child calls [`enter_busybox_root`], then confines
//! itself, then runs its command.

use crate::Result;
use namespaces::mounts;
use std::path::Path;

/// In a child cloned with a new mount namespace (and PID namespace, so `/proc` shows only
/// the container): private propagation, `/proc`, read-only `/sys`, a minimal `/dev` and a
/// `/tmp` inside `rootfs`, then pivot_root(2) into it and a read-only root — lesson 01's
/// `set_up`, step by step.
pub fn enter_busybox_root(rootfs: &Path) -> Result<()> {
    mounts::make_private()?;
    mounts::mount_proc(&rootfs.join("proc"))?;
    mounts::mount_sysfs_readonly(&rootfs.join("sys"))?;
    mounts::mount_minimal_dev(rootfs)?;
    mounts::mount_tmpfs(&rootfs.join("tmp"), "mode=1777")?;
    mounts::pivot_into(rootfs)?;
    mounts::remount_root_readonly()?;
    Ok(())
}
