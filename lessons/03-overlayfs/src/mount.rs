//! Mounting an overlay: N read-only lower directories, one writable upper directory and the
//! work directory overlayfs needs for atomic copy-up, all joined into one merged view with
//! mount(2). See the kernel's Documentation/filesystems/overlayfs.rst.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::statfs::{OVERLAYFS_SUPER_MAGIC, statfs};

use crate::error::{Error, IoContext, Result};
use crate::links;

/// The most lower layers one overlay can stack (`OVL_MAX_STACK` in fs/overlayfs/params.h).
pub const MAX_LOWER_LAYERS: usize = 500;

/// The layers of one overlay mount, as the kernel wants them.
///
/// `lowers` are in the kernel's order: the **topmost first**, the base layer last — the same
/// order as the `lowerdir=top:…:bottom` mount option. (An OCI image lists its layers the other
/// way round, base first.)
#[derive(Debug, Clone)]
pub struct Overlay {
    /// Read-only layers, topmost first.
    pub lowers: Vec<PathBuf>,
    /// The writable layer: every change made through the merged view lands here.
    pub upper: PathBuf,
    /// Scratch space on the upper's filesystem, where overlayfs prepares a copy-up before
    /// renaming it into place (so a crash never leaves a half-copied file visible).
    pub work: PathBuf,
    /// Mount with overlayfs's `volatile` option (Linux 5.10; "Volatile mount" in
    /// Documentation/filesystems/overlayfs.rst): the upper's filesystem is never synced for
    /// this overlay. Unmounting an ordinary overlay runs syncfs(2) on the upper's *whole*
    /// filesystem — every dirty page any program left on that disk; for an upper that is
    /// thrown away afterwards (a `docker run --rm` container's) that buys nothing. The price:
    /// after a crash the upper's content is undefined, and the kernel refuses to mount it
    /// again (it leaves `WORK/work/incompat/volatile` behind as the mark). Off by [`Overlay::new`].
    pub volatile: bool,
}

impl Overlay {
    /// Describe an overlay of `lowers` (topmost first) with an `upper` and a `work` dir.
    pub fn new<L: Into<PathBuf>>(
        lowers: impl IntoIterator<Item = L>,
        upper: impl Into<PathBuf>,
        work: impl Into<PathBuf>,
    ) -> Self {
        Overlay {
            lowers: lowers.into_iter().map(Into::into).collect(),
            upper: upper.into(),
            work: work.into(),
            volatile: false,
        }
    }

    /// The option string mount(2) gets when the paths are passed as they are:
    /// `lowerdir=A:B,upperdir=U,workdir=W,redirect_dir=off,metacopy=off` (and `,volatile`
    /// for a [`Overlay::volatile`] one).
    ///
    /// `redirect_dir=off` and `metacopy=off` keep every change a plain file in the upper dir
    /// (no renamed-directory redirects, no metadata-only copies without data), so the upper dir
    /// alone is an honest diff — Docker's overlay2 falls back to a slow tree comparison when
    /// either feature is on.
    pub fn options(&self) -> String {
        let lowers: Vec<String> = self
            .lowers
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let options = options_string(
            &lowers,
            &self.upper.display().to_string(),
            &self.work.display().to_string(),
        );
        options + self.extra_options()
    }

    /// What follows the layers in the option string: `,volatile` or nothing.
    pub(crate) fn extra_options(&self) -> &'static str {
        if self.volatile { ",volatile" } else { "" }
    }

    /// Check everything we can before asking the kernel, so the student gets an error that says
    /// what is wrong instead of a bare EINVAL: layer count, that every dir exists, that the
    /// upper is not itself on overlayfs (statfs(2)), and that upper and work share a filesystem.
    pub fn check(&self) -> Result<()> {
        if self.lowers.is_empty() {
            return Err(Error::NoLowers);
        }
        if self.lowers.len() > MAX_LOWER_LAYERS {
            return Err(Error::TooManyLayers {
                count: self.lowers.len(),
                max: MAX_LOWER_LAYERS,
            });
        }
        for lower in &self.lowers {
            require_dir("lower", lower)?;
        }
        require_dir("upper", &self.upper)?;
        require_dir("work", &self.work)?;
        // Why statfs(2): the filesystem type of the upper decides whether the kernel can
        // create whiteouts and trusted.* xattrs there; overlayfs cannot, so it refuses.
        let fs = statfs(&self.upper).with_path("statfs", &self.upper)?;
        if fs.filesystem_type() == OVERLAYFS_SUPER_MAGIC {
            return Err(Error::UpperOnOverlay {
                path: self.upper.clone(),
            });
        }
        let upper_dev = fs::metadata(&self.upper)
            .with_path("stat", &self.upper)?
            .dev();
        let work_dev = fs::metadata(&self.work)
            .with_path("stat", &self.work)?
            .dev();
        if upper_dev != work_dev {
            return Err(Error::UpperWorkOnDifferentFilesystems {
                upper: self.upper.clone(),
                work: self.work.clone(),
            });
        }
        Ok(())
    }

    /// Mount the overlay on `target` with mount(2) and return a guard that unmounts it when
    /// dropped, so nothing is left mounted even if the caller panics.
    ///
    /// When the full paths do not fit in the one page of options mount(2) copies from user
    /// space (or contain `:` or `,`, which the option syntax reserves), the layers are mounted
    /// through short symlinks instead, the way Docker's overlay2 driver uses its `l/` dir.
    pub fn mount(&self, target: &Path) -> Result<Mounted> {
        self.check()?;
        require_dir("mount point", target)?;
        let target = fs::canonicalize(target).with_path("resolve", target)?;
        let options = self.options();
        let result = if options.len() <= option_limit() && !needs_escaping(self) {
            mount_overlay(&target, &options)
        } else {
            links::mount_via_short_links(self, &target)
        };
        result.map(|()| Mounted {
            target,
            mounted: true,
        })
    }
}

/// Build the mount option string from already-chosen path strings.
pub(crate) fn options_string(lowers: &[String], upper: &str, work: &str) -> String {
    // exercise 03.1 overlay-options: begin
    format!(
        "lowerdir={},upperdir={upper},workdir={work},redirect_dir=off,metacopy=off",
        lowers.join(":")
    )
    // exercise 03.1: end
}

/// The longest option string the kernel reads: mount(2) copies at most one page of `data`,
/// and the string needs its terminating NUL inside that page (sysconf(3) `_SC_PAGESIZE`).
pub fn option_limit() -> usize {
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .unwrap_or(4096);
    page as usize - 1
}

/// `:` separates lower layers and `,` separates options; such paths would need escaping.
fn needs_escaping(overlay: &Overlay) -> bool {
    let bad = |p: &PathBuf| p.to_string_lossy().contains([':', ',', '\\']);
    overlay.lowers.iter().any(bad) || bad(&overlay.upper) || bad(&overlay.work)
}

fn require_dir(role: &'static str, path: &Path) -> Result<()> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::NotADirectory {
            role,
            path: path.to_owned(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::MissingDir {
            role,
            path: path.to_owned(),
        }),
        Err(e) => Err(e).with_path("stat", path),
    }
}

/// The one mount(2) call of this lesson: filesystem type "overlay", no device (the source
/// string is only a label shown in /proc/self/mountinfo), the layers in the option string.
// ANCHOR: mount_overlay
pub(crate) fn mount_overlay(target: &Path, options: &str) -> Result<()> {
    nix::mount::mount(
        Some("overlay"),
        target,
        Some("overlay"),
        MsFlags::empty(),
        Some(options),
    )
    .map_err(|errno| mount_error(target, errno))
}

/// What a failed overlay mount(2) means for the student.
fn mount_error(target: &Path, errno: Errno) -> Error {
    match errno {
        // ENODEV: no filesystem of that type is registered (the module is not loaded and
        // could not be auto-loaded).
        Errno::ENODEV => Error::ModuleMissing,
        errno => Error::Mount {
            target: target.to_owned(),
            errno,
            hint: ": the kernel logs its reason, see `dmesg | tail`",
        },
    }
}
// ANCHOR_END: mount_overlay

/// A mounted overlay. Dropping it unmounts (lazily, with `MNT_DETACH`, so a drop during a
/// panic never fails); call [`Mounted::unmount`] to unmount eagerly and see errors.
#[derive(Debug)]
pub struct Mounted {
    target: PathBuf,
    mounted: bool,
}

impl Mounted {
    /// Where the merged view is mounted (canonical path).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Unmount with umount2(2) and report failure (EBUSY when a process still uses it).
    /// If it fails, the guard still detaches the mount when it is dropped.
    pub fn unmount(mut self) -> Result<()> {
        nix::mount::umount2(&self.target, MntFlags::empty()).map_err(|errno| Error::Unmount {
            target: self.target.clone(),
            errno,
        })?;
        self.mounted = false;
        Ok(())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if self.mounted {
            // MNT_DETACH: detach now, let the kernel finish when the last user goes away.
            let _ = nix::mount::umount2(&self.target, MntFlags::MNT_DETACH);
        }
    }
}

/// Whether the running kernel has overlayfs registered, read from /proc/filesystems
/// (proc(5)). A module that is not yet loaded may still be auto-loaded by the first mount.
pub fn overlay_available() -> Result<bool> {
    let list = fs::read_to_string("/proc/filesystems").with_path("read", "/proc/filesystems")?;
    Ok(list
        .lines()
        .any(|line| line.split_whitespace().last() == Some("overlay")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel answers ENODEV for a filesystem type it does not have — as it would for
    /// `overlay` without the module — and we turn that into the `modprobe overlay` advice.
    #[test]
    fn an_unregistered_filesystem_type_becomes_the_modprobe_advice() {
        let dir = tempfile::tempdir().unwrap();
        let errno = nix::mount::mount(
            Some("none"),
            dir.path(),
            Some("overlay-lesson-no-such-fs"),
            MsFlags::empty(),
            None::<&str>,
        )
        .unwrap_err();
        assert_eq!(errno, Errno::ENODEV);
        let err = mount_error(dir.path(), errno);
        assert!(matches!(err, Error::ModuleMissing), "{err:?}");
        assert!(err.to_string().contains("modprobe overlay"), "{err}");
    }
}
