//! Part of Docker's default confinement, applied by the container's first process on itself
//! just before execve(2): the 14 default capabilities (capabilities(7)) with an empty
//! inheritable set, masked and read-only paths under `/proc` and `/sys` (mount(2) bind and
//! remount), and no file descriptor of the engine left open (close_range(2)). Not yet here:
//! Docker's seccomp filter and `no_new_privs` (lesson 07 brings them).

use crate::{Error, Result};
use caps::{CapSet, Capability, CapsHashSet};
use nix::mount::{MsFlags, mount};
use std::path::Path;

/// Docker's default capability set (moby `oci/caps/defaults.go`): enough to act as root on
/// the container's own files and processes, nothing that reaches the host (no `SYS_ADMIN`,
/// `NET_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`, …).
// ANCHOR: default_caps
pub const DEFAULT_CAPABILITIES: [Capability; 14] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FSETID,
    Capability::CAP_FOWNER,
    Capability::CAP_MKNOD,
    Capability::CAP_NET_RAW,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_KILL,
    Capability::CAP_AUDIT_WRITE,
];
// ANCHOR_END: default_caps

/// Paths hidden from the container (Docker's `MaskedPaths`): kernel memory, timers, keys and
/// firmware that leak information about the host or let a process disturb it. Files get
/// `/dev/null` bound over them, directories an empty read-only tmpfs.
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

/// Paths the container may read but not write (Docker's `ReadonlyPaths`): writing them would
/// change the host's kernel (`/proc/sys`, `/proc/sysrq-trigger`, IRQ affinity…).
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Works out the capability set from Docker's flags: the defaults, plus `--cap-add`, minus
/// `--cap-drop` (`ALL` allowed in both), or every capability with `--privileged`.
pub fn capability_set(add: &[String], drop: &[String], privileged: bool) -> Result<CapsHashSet> {
    let all = caps::runtime::thread_all_supported();
    if privileged {
        return Ok(all);
    }
    let mut set: CapsHashSet = DEFAULT_CAPABILITIES.into_iter().collect();
    for (names, adding) in [(drop, false), (add, true)] {
        for name in names {
            if name.eq_ignore_ascii_case("all") {
                set = if adding {
                    all.clone()
                } else {
                    CapsHashSet::new()
                };
                continue;
            }
            let cap: Capability = caps::to_canonical(name).parse().map_err(|_| {
                Error::invalid(
                    "capability",
                    name.as_str(),
                    "see capabilities(7) for the names, e.g. NET_ADMIN",
                )
            })?;
            if adding {
                set.insert(cap);
            } else {
                set.remove(&cap);
            }
        }
    }
    Ok(set)
}

/// Shrinks the bounding set to `keep` (needs `CAP_SETPCAP`, so it must come before the uid
/// change). The bounding set is the ceiling: no later execve(2) of a setuid or file-capability
/// binary can gain what is not in it.
pub fn limit_bounding_set(keep: &CapsHashSet) -> Result<()> {
    for cap in caps::runtime::thread_all_supported() {
        if !keep.contains(&cap) {
            caps::drop(None, CapSet::Bounding, cap).map_err(cap_error("drop from bounding set"))?;
        }
    }
    Ok(())
}

/// Sets the effective and permitted sets to `keep` (for root; a non-root uid lost them at
/// setuid(2) already) and empties the inheritable and ambient sets, so nothing passes to
/// programs through execve(2) except by root's own rule (root gets the bounding set).
pub fn set_process_capabilities(keep: &CapsHashSet, root: bool) -> Result<()> {
    let empty = CapsHashSet::new();
    caps::set(None, CapSet::Inheritable, &empty).map_err(cap_error("clear inheritable set"))?;
    caps::clear(None, CapSet::Ambient).map_err(cap_error("clear ambient set"))?;
    let target = if root { keep } else { &empty };
    // The effective set must stay a subset of the permitted one: shrink it first.
    caps::set(None, CapSet::Effective, target).map_err(cap_error("set effective set"))?;
    caps::set(None, CapSet::Permitted, target).map_err(cap_error("set permitted set"))?;
    Ok(())
}

fn cap_error(action: &'static str) -> impl Fn(caps::errors::CapsError) -> Error {
    move |e| Error::Capabilities {
        action,
        why: e.to_string(),
    }
}

/// Hides [`MASKED_PATHS`] and write-protects [`READONLY_PATHS`]; runs after pivot_root(2),
/// so `/dev/null` is the container's own. Paths this kernel does not have are skipped.
pub fn mask_and_protect_paths() -> Result<()> {
    for path in MASKED_PATHS.iter().map(Path::new) {
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        if meta.is_dir() {
            // An empty read-only tmpfs hides everything below it.
            let flags =
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
            mount(Some("tmpfs"), path, Some("tmpfs"), flags, Some("size=0"))
        } else {
            // Binding /dev/null over a file makes it read as empty and swallow writes.
            mount(
                Some("/dev/null"),
                path,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
        }
        .map_err(Error::sys(format!("mask {}", path.display())))?;
    }
    for path in READONLY_PATHS.iter().map(Path::new) {
        if !path.exists() {
            continue;
        }
        // A bind mount of the path onto itself gets its own mount flags: remount it read-only.
        mount(
            Some(path),
            path,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(Error::sys(format!("bind {} on itself", path.display())))?;
        let flags = MsFlags::MS_BIND
            | MsFlags::MS_REMOUNT
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV
            | MsFlags::MS_NOEXEC;
        mount(None::<&str>, path, None::<&str>, flags, None::<&str>)
            .map_err(Error::sys(format!("remount {} read-only", path.display())))?;
    }
    Ok(())
}

/// Marks every descriptor from 3 up close-on-exec with close_range(2), so no file, socket or
/// pipe of the engine reaches the container's command (its stdio 0–2 were set up on purpose).
pub fn close_engine_fds_on_exec() -> Result<()> {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on descriptors; it touches
    // no memory, and closes nothing the rest of this process still uses before execve(2).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if rc != 0 {
        return Err(Error::sys("close_range(3.., CLOEXEC)")(
            nix::errno::Errno::last(),
        ));
    }
    Ok(())
}
