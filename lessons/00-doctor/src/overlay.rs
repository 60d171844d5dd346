//! overlayfs: is it in the kernel, and does a real overlay mount work?
//!
//! A container's root filesystem is an overlay of read-only image layers plus a writable upper
//! directory (lesson 03). The kernel lists the filesystems it can mount right now in
//! `/proc/filesystems` (proc(5)); overlayfs built as a module appears there only once loaded.
//! As root we go further and mount a tiny overlay, write through it, and check the write landed
//! in the upper directory — in a private mount namespace made by a helper thread (unshare(2)
//! `CLONE_NEWNS`), so the host's mount table never sees it, and unmounted by a guard even when a
//! step fails.

use crate::check::{Check, Requirement};
use crate::error::{Error, Result, io, sys};
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, unshare};
use std::path::{Path, PathBuf};

const WHY: &str = "a container's root filesystem is an overlay of image layers plus a \
     writable upper directory (lesson 03, the capstone)";

/// The overlayfs check: proven by a mount as root, else read from `/proc/filesystems`.
pub fn check() -> Check {
    let listed = std::fs::read_to_string("/proc/filesystems")
        .map(|t| {
            t.lines()
                .any(|l| l.split_whitespace().last() == Some("overlay"))
        })
        .unwrap_or(false);
    if !listed {
        let (summary, fix) = if module_file_exists("overlay") {
            (
                "overlayfs is a module that is not loaded",
                "load it with `sudo modprobe overlay` (and add `overlay` to /etc/modules-load.d/ \
                 to keep it)",
            )
        } else {
            (
                "overlayfs is not in /proc/filesystems and no module was found",
                "use a kernel built with CONFIG_OVERLAY_FS (every Debian/Ubuntu kernel has it), \
                 or install this kernel's modules package",
            )
        };
        return Check::missing("overlayfs", Requirement::Required, WHY, summary, fix);
    }
    if !nix::unistd::geteuid().is_root() {
        return Check::pass(
            "overlayfs",
            Requirement::Required,
            WHY,
            "listed in /proc/filesystems (not mounted: that needs root)",
        );
    }
    match prove_in_private_namespace() {
        Ok(evidence) => Check::pass(
            "overlayfs",
            Requirement::Required,
            WHY,
            "mounted a test overlay; a write landed in the upper layer",
        )
        .detail(evidence),
        Err(e) => Check::missing(
            "overlayfs",
            Requirement::Required,
            WHY,
            format!("listed, but a test mount failed: {e}"),
            "check `dmesg | tail` for overlayfs's reason; the upper directory must be on a \
             filesystem with xattrs (ext4, xfs, btrfs, tmpfs), not on another overlay",
        ),
    }
}

/// Is there a module file for `name` under this kernel's `/lib/modules/RELEASE`?
pub fn module_file_exists(name: &str) -> bool {
    let Ok(u) = nix::sys::utsname::uname() else {
        return false;
    };
    let dir = Path::new("/lib/modules").join(u.release());
    let wanted = [format!("/{name}.ko"), format!("/{name}.ko.")];
    let listed = |file: &str| {
        std::fs::read_to_string(dir.join(file))
            .map(|t| {
                t.lines()
                    .any(|l| wanted.iter().any(|w| l.contains(w.as_str())))
            })
            .unwrap_or(false)
    };
    listed("modules.dep") || listed("modules.builtin")
}

/// Mounts the test overlay on a thread of its own in a new, private mount namespace.
fn prove_in_private_namespace() -> Result<String> {
    std::thread::spawn(|| {
        // Why a new mount namespace: mounts made here are invisible to the host and vanish
        // with the namespace when this thread exits, even if the unmount below never runs.
        // ANCHOR: private-ns
        unshare(CloneFlags::CLONE_NEWNS).map_err(sys("unshare(CLONE_NEWNS)"))?;
        // Why private: a fresh mount namespace's copies of shared mounts still propagate
        // events to the host's; making them private stops our mount leaking out.
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        )
        .map_err(sys("mount(/, MS_REC|MS_PRIVATE)"))?;
        // ANCHOR_END: private-ns
        let dir = tempfile::Builder::new()
            .prefix("doctor-overlay-")
            .tempdir()
            .map_err(io(std::env::temp_dir()))?;
        write_through_overlay(dir.path())
    })
    .join()
    .map_err(|_| Error::Unexpected("the overlay probe thread panicked".into()))?
}

/// lower/hello → mount → read it through merged/, write merged/new → check upper/new.
fn write_through_overlay(base: &Path) -> Result<String> {
    let [lower, upper, work, merged] = ["lower", "upper", "work", "merged"].map(|d| base.join(d));
    for d in [&lower, &upper, &work, &merged] {
        std::fs::create_dir(d).map_err(io(d))?;
    }
    std::fs::write(lower.join("hello"), "from lower").map_err(io(lower.join("hello")))?;
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    // ANCHOR: overlay-mount
    mount(
        Some("overlay"),
        &merged,
        Some("overlay"),
        MsFlags::empty(),
        Some(options.as_str()),
    )
    .map_err(sys(format!("mount(overlay on {})", merged.display())))?;
    let _unmount = Unmount(merged.clone());
    // ANCHOR_END: overlay-mount

    let seen = std::fs::read_to_string(merged.join("hello")).map_err(io(merged.join("hello")))?;
    std::fs::write(merged.join("new"), "written on top").map_err(io(merged.join("new")))?;
    if seen != "from lower" || !upper.join("new").exists() || lower.join("new").exists() {
        return Err(Error::Unexpected(format!(
            "the overlay at {} did not behave: lower file read {seen:?}, upper/new exists={}, \
             lower/new exists={}",
            merged.display(),
            upper.join("new").exists(),
            lower.join("new").exists()
        )));
    }
    Ok(format!(
        "mount -t overlay -o {options} in a private mount namespace: lower file visible, \
         new file in upper only"
    ))
}

/// Unmounts its path when dropped, so a failed step never leaves the overlay mounted.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        // MNT_DETACH: unmount even if something still has a file open inside.
        let _ = umount2(&self.0, MntFlags::MNT_DETACH);
    }
}
