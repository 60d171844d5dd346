//! The runtime's additions to lesson 01's set-up of a container, run by the container's own
//! process: the spec's mounts and device nodes before pivot_root(2), its rlimits
//! (setrlimit(2)) and lesson 07's confinement at the user switch, and — for `create` — the
//! wait for `start` as the very last step before execve(2).
//!
//! That wait is runc's "exec fifo": a FIFO (fifo(7)) in the container's state directory. The
//! runtime opens it `O_PATH` before clone(2), so the child holds a descriptor of it even after
//! pivot_root(2) has hidden the host. Once set up, the child tells `create` it is ready (one
//! byte on a pipe), then opens `/proc/self/fd/N` for writing: open(2) of a FIFO blocks until
//! someone opens it for reading — which is exactly what `start` does, in another process,
//! any time later. The child then writes one byte and goes on to execve(2).

use confinement::Confinement;
use namespaces::hooks::{HookResult, Hooks};
use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use oci_spec::runtime::{LinuxDevice, LinuxDeviceType, Mount};
use std::os::fd::RawFd;
use std::path::Path;

/// What the container's process does beyond lesson 01's own steps.
pub struct RuntimeHooks<'a> {
    /// The spec's `mounts`.
    pub mounts: &'a [Mount],
    /// The spec's `linux.devices`, bound from the host (or made with mknod(2)) in `/dev`.
    pub devices: &'a [LinuxDevice],
    /// `process.rlimits` as (resource, soft, hard).
    pub rlimits: &'a [(libc::__rlimit_resource_t, u64, u64)],
    /// Lesson 07's confinement, from `process::confinement`.
    pub confinement: &'a Confinement,
    /// With `create`: the exec fifo (`O_PATH`) and the write end of the "ready" pipe.
    pub hold: Option<(RawFd, RawFd)>,
    /// `--preserve-fds N`: descriptors 3 to 3+N-1 stay open across execve(2).
    pub preserve_fds: i32,
    /// `linux.sysctl`, written under the container's own `/proc/sys`.
    pub sysctl: &'a [(String, String)],
    /// `process.oomScoreAdj`, written to `/proc/self/oom_score_adj`.
    pub oom_score_adj: Option<i32>,
}

impl Hooks for RuntimeHooks<'_> {
    fn before_pivot(&self, root: &Path) -> HookResult {
        super::mounts::mount_all(self.mounts, root)?;
        for device in self.devices {
            make_device(root, device)?;
        }
        Ok(())
    }

    /// After pivot_root(2), `/proc` is the container's: its namespaced sysctls (net, ipc,
    /// uts) change for it alone. A key with `/` or `..` could name another file: refused.
    fn after_pivot(&self) -> HookResult {
        for (key, value) in self.sysctl {
            if key.contains('/') || key.split('.').any(|part| part.is_empty()) {
                return Err(format!("sysctl {key:?}: not a sysctl name").into());
            }
            let path = format!("/proc/sys/{}", key.replace('.', "/"));
            std::fs::write(&path, value).map_err(|e| format!("sysctl {key}={value}: {e}"))?;
        }
        if let Some(score) = self.oom_score_adj {
            std::fs::write("/proc/self/oom_score_adj", score.to_string())
                .map_err(|e| format!("oomScoreAdj {score}: {e}"))?;
        }
        Ok(())
    }

    fn before_user_switch(&self) -> HookResult {
        for &(resource, soft, hard) in self.rlimits {
            let limit = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            // SAFETY: setrlimit reads one `struct rlimit` from the pointer we pass.
            if unsafe { libc::setrlimit(resource, &limit) } != 0 {
                return Err(format!(
                    "setrlimit({resource}, {soft}, {hard}): {} (raising a hard limit needs CAP_SYS_RESOURCE)",
                    std::io::Error::last_os_error()
                )
                .into());
            }
        }
        Ok(())
    }

    fn switch_user(&self, _uid: u32, _gid: u32, _in_userns: bool) -> HookResult {
        self.confinement.apply_in_child()?;
        Ok(())
    }

    // ANCHOR: exec_fifo
    fn confine(&self) -> HookResult {
        // Lesson 07 marked every descriptor from 3 up close-on-exec; keep the ones asked for.
        for fd in 3..3 + self.preserve_fds {
            nix::fcntl::fcntl(
                borrow(fd),
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
            )
            .map_err(|e| format!("--preserve-fds: descriptor {fd}: {e}"))?;
        }
        let Some((fifo, ready)) = self.hold else {
            return Ok(());
        };
        nix::unistd::write(borrow(ready), &[1]).map_err(|e| format!("tell create: {e}"))?;
        let _ = nix::unistd::close(ready);
        // Blocks until `start` opens the FIFO for reading.
        let path = format!("/proc/self/fd/{fifo}");
        let writer = nix::fcntl::open(
            path.as_str(),
            nix::fcntl::OFlag::O_WRONLY | nix::fcntl::OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("open the exec fifo: {e}"))?;
        nix::unistd::write(&writer, b"0").map_err(|e| format!("write the exec fifo: {e}"))?;
        Ok(())
    }
    // ANCHOR_END: exec_fifo

    /// Lesson 07's sealed dmz (made by `process::confinement` before the clone) makes the final
    /// execve(2), so a `#!/proc/self/exe` command runs the dmz, never this runtime's binary
    /// (CVE-2019-5736). Not with `--preserve-fds N`: the dmz marks every descriptor from 3 up
    /// close-on-exec (close_range(2)), which would close the ones the caller handed over (e.g.
    /// systemd's LISTEN_FDS); such a container execs its command directly, as before.
    fn exec_through(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        if self.preserve_fds > 0 {
            return None;
        }
        confinement::dmz::loaded()
    }
}

fn borrow(fd: RawFd) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: `fd` was opened by the runtime (or its caller, for --preserve-fds) before
    // clone(2) and stays open in this process while it is borrowed.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

/// One `linux.devices` entry under `root/dev`, unless lesson 01 made it already. Lesson 01's
/// `/dev` is a `nodev` tmpfs, where a node made with mknod(2) would not open: so the host's
/// node of the same type and numbers is bind-mounted, as lesson 01 binds its own; mknod(2) is
/// the fallback when the host has none at that path.
fn make_device(root: &Path, device: &LinuxDevice) -> HookResult {
    let relative = device.path().strip_prefix("/").unwrap_or(device.path());
    if relative
        .components()
        .any(|c| c == std::path::Component::ParentDir)
    {
        return Err(format!("device path {} leaves /dev", device.path().display()).into());
    }
    let path = root.join(relative);
    if path.symlink_metadata().is_ok() {
        return Ok(());
    }
    let kind = match device.typ() {
        LinuxDeviceType::B => SFlag::S_IFBLK,
        LinuxDeviceType::P => SFlag::S_IFIFO,
        _ => SFlag::S_IFCHR,
    };
    let dev = makedev(device.major() as u64, device.minor() as u64);
    let host = nix::sys::stat::stat(device.path()).ok();
    let same = host.is_some_and(|st| {
        st.st_rdev == dev && SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) == kind
    });
    if same {
        std::fs::File::create(&path).map_err(|e| format!("create {}: {e}", path.display()))?;
        nix::mount::mount(
            Some(device.path()),
            &path,
            None::<&str>,
            nix::mount::MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| {
            format!(
                "bind {} onto {}: {e}",
                device.path().display(),
                path.display()
            )
        })?;
        return Ok(());
    }
    let mode = Mode::from_bits_truncate(device.file_mode().unwrap_or(0o666));
    mknod(&path, kind, mode, dev).map_err(|e| format!("mknod {}: {e}", path.display()))?;
    let (uid, gid) = (device.uid().unwrap_or(0), device.gid().unwrap_or(0));
    nix::unistd::chown(&path, Some(uid.into()), Some(gid.into()))
        .map_err(|e| format!("chown {}: {e}", path.display()))?;
    Ok(())
}
