//! Masked and read-only paths (Docker's `MaskedPaths` and `ReadonlyPaths`, OCI runtime spec
//! `linux.maskedPaths`/`readonlyPaths`): parts of `/proc` and `/sys` that are not namespaced
//! and would show or change the host's kernel. They are hidden with a bind mount of
//! `/dev/null` (files) or an empty read-only tmpfs (directories), or bound onto themselves and
//! remounted read-only (mount(2) `MS_BIND`, then `MS_REMOUNT | MS_RDONLY`).

use crate::Result;
use crate::error::sys;
use nix::mount::{MsFlags, mount};
use std::path::Path;

/// Paths hidden from the container: kernel memory, timers, keys and firmware that leak
/// information about the host or let a process disturb it.
pub const MASKED_PATHS: [&str; 11] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths the container may read but not write: writing them would change the host's kernel
/// (`/proc/sys`, `/proc/sysrq-trigger`, IRQ affinity…).
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

// ANCHOR: mask
/// Hides `path`: an empty read-only tmpfs over a directory, `/dev/null` bound over a file
/// (it reads as empty and swallows writes). A path this kernel does not have is skipped.
pub fn mask(path: &Path) -> Result<()> {
    // exercise 07.4 mask-path: begin
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if meta.is_dir() {
        let flags =
            MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
        mount(Some("tmpfs"), path, Some("tmpfs"), flags, Some("size=0"))
    } else {
        mount(
            Some("/dev/null"),
            path,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
    }
    .map_err(sys(format!("mount(2) to mask {}", path.display())))
    // exercise 07.4: end
}

/// Makes `path` read-only: a bind mount of the path onto itself gets mount flags of its own,
/// then a remount makes it read-only. A path this kernel does not have is skipped.
pub fn make_readonly(path: &Path) -> Result<()> {
    // exercise 07.5 readonly-path: begin
    if !path.exists() {
        return Ok(());
    }
    let recursive = MsFlags::MS_BIND | MsFlags::MS_REC;
    mount(Some(path), path, None::<&str>, recursive, None::<&str>).map_err(sys(format!(
        "mount(2) to bind {} on itself",
        path.display()
    )))?;
    let flags = MsFlags::MS_BIND
        | MsFlags::MS_REMOUNT
        | MsFlags::MS_RDONLY
        | MsFlags::MS_NOSUID
        | MsFlags::MS_NODEV
        | MsFlags::MS_NOEXEC;
    mount(None::<&str>, path, None::<&str>, flags, None::<&str>).map_err(sys(format!(
        "mount(2) to remount {} read-only",
        path.display()
    )))
    // exercise 07.5: end
}
// ANCHOR_END: mask

/// Masks each of `masked` and write-protects each of `readonly`. Runs in the container's mount
/// namespace after pivot_root(2), so `/dev/null` and `/proc` are the container's own.
pub fn mask_and_protect(masked: &[String], readonly: &[String]) -> Result<()> {
    for path in masked {
        mask(Path::new(path))?;
    }
    for path in readonly {
        make_readonly(Path::new(path))?;
    }
    Ok(())
}

/// Docker's lists as owned strings, for [`crate::Confinement`].
pub fn docker_defaults() -> (Vec<String>, Vec<String>) {
    let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
    (owned(&MASKED_PATHS), owned(&READONLY_PATHS))
}
