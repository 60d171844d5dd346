//! Applying `run`'s extra flags inside the container's new process, as lesson 01's hooks:
//!
//! - before pivot_root(2), with the new root at `root`: tmpfs mounts (tmpfs(5)), host device
//!   nodes bind-mounted into `/dev`, `/dev/shm` remounted at its size, and the resource
//!   limits (setrlimit(2), inherited across execve(2));
//! - after pivot_root(2), with the container's own `/proc` mounted: the sysctls, written to
//!   `/proc/sys/…` (sysctl(8) does the same), which reach only this container's IPC, UTS or
//!   network namespace — the engine refused every other key at `create`.
//!
//! Targets are resolved inside the root with openat2(2) `RESOLVE_IN_ROOT`, as volumes are, so
//! an image's symlink cannot send a mount outside.

use crate::mechanisms::volumes::resolve;
use crate::model::run_flags::RunFlags;
use nix::fcntl::{OFlag, open};
use nix::mount::{MsFlags, mount};
use nix::sys::stat::Mode;
use std::path::Path;

type HookResult = Result<(), Box<dyn std::error::Error + Send + Sync + 'static>>;

/// The steps before pivot_root(2): tmpfs mounts, devices, `/dev/shm`, ulimits.
pub fn before_pivot(flags: &RunFlags, root: &Path) -> HookResult {
    let root_fd = open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    for (dest, options) in &flags.tmpfs {
        let target = resolve::prepare(&root_fd, dest, true)
            .map_err(|why| format!("--tmpfs {dest}: {why}"))?;
        let (ms_flags, data) = tmpfs_options(options);
        mount(
            Some("tmpfs"),
            &resolve::fd_path(&target.fd),
            Some("tmpfs"),
            ms_flags,
            Some(data.as_str()),
        )
        .map_err(|e| format!("mount(tmpfs on {dest}, {data:?}): {e}"))?;
    }
    for device in &flags.devices {
        let dest = &device.path_in_container;
        let target = resolve::prepare(&root_fd, dest, false)
            .map_err(|why| format!("--device {dest}: {why}"))?;
        let at = resolve::fd_path(&target.fd);
        let host = device.path_on_host.as_str();
        mount(
            Some(host),
            &at,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| format!("mount(2) bind of {host} on {dest}: {e}"))?;
        if !device.cgroup_permissions.contains('w') {
            let ro = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY;
            mount(None::<&str>, &at, None::<&str>, ro, None::<&str>)
                .map_err(|e| format!("remount {dest} read-only: {e}"))?;
        }
    }
    if flags.shm_size != 0 {
        let shm = root.join("dev/shm");
        let data = format!("mode=1777,size={}", flags.shm_bytes());
        let remount = MsFlags::MS_REMOUNT | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
        mount(
            None::<&str>,
            &shm,
            None::<&str>,
            remount,
            Some(data.as_str()),
        )
        .map_err(|e| format!("remount /dev/shm with {data}: {e}"))?;
    }
    set_ulimits(flags)
}

/// `--ulimit`: setrlimit(2) on the calling process, inherited across execve(2); for the
/// container's first process and for each `exec`'d one.
pub fn set_ulimits(flags: &RunFlags) -> HookResult {
    for limit in &flags.ulimits {
        let resource = crate::model::run_flags::ULIMITS
            .iter()
            .find(|(name, _)| *name == limit.name)
            .map(|(_, r)| *r)
            .ok_or_else(|| format!("unknown ulimit {}", limit.name))?;
        let as_rlim = |n: i64| if n < 0 { libc::RLIM_INFINITY } else { n as u64 };
        nix::sys::resource::setrlimit(resource, as_rlim(limit.soft), as_rlim(limit.hard)).map_err(
            |e| {
                format!(
                    "setrlimit(2) {}={}:{}: {e}",
                    limit.name, limit.soft, limit.hard
                )
            },
        )?;
    }
    Ok(())
}

/// The step after pivot_root(2): each sysctl written to `/proc/sys/KEY` (dots become slashes).
pub fn after_pivot(flags: &RunFlags) -> HookResult {
    for (key, value) in &flags.sysctls {
        let path = Path::new("/proc/sys").join(key.replace('.', "/"));
        std::fs::write(&path, value).map_err(|e| format!("sysctl {key}={value}: {e}"))?;
    }
    Ok(())
}

/// Docker's tmpfs: `nosuid,nodev,noexec` unless the options say otherwise; `ro`; the rest
/// (`size=`, `mode=`, …) goes to tmpfs(5) as data.
fn tmpfs_options(options: &str) -> (MsFlags, String) {
    let mut flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let mut data = Vec::new();
    for opt in options.split(',').filter(|o| !o.is_empty()) {
        match opt {
            "ro" => flags |= MsFlags::MS_RDONLY,
            "rw" => flags.remove(MsFlags::MS_RDONLY),
            "exec" => flags.remove(MsFlags::MS_NOEXEC),
            "noexec" => flags |= MsFlags::MS_NOEXEC,
            "suid" => flags.remove(MsFlags::MS_NOSUID),
            "nosuid" => flags |= MsFlags::MS_NOSUID,
            "dev" => flags.remove(MsFlags::MS_NODEV),
            "nodev" => flags |= MsFlags::MS_NODEV,
            other => data.push(other),
        }
    }
    (flags, data.join(","))
}
