//! The one error type of this lesson's library: every variant names the path or value that was
//! wrong and, where there is one, what to do about it.

use std::io;
use std::path::PathBuf;

use nix::errno::Errno;

/// Everything that can go wrong while mounting overlays, reading their upper dirs, and writing
/// or applying tar layers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// mount(2) answered ENODEV: the kernel has no `overlay` filesystem type registered.
    #[error(
        "overlayfs is not available (the kernel does not list `overlay` in /proc/filesystems): load the module with `modprobe overlay`"
    )]
    ModuleMissing,

    /// A layer directory given to [`crate::Overlay`] does not exist.
    #[error("{role} directory {path} does not exist: create it first")]
    MissingDir {
        /// Which part of the overlay: "lower", "upper", "work" or "mount point".
        role: &'static str,
        /// The path that was given.
        path: PathBuf,
    },

    /// A layer path exists but is not a directory.
    #[error("{role} {path} is not a directory: overlayfs layers must be directories")]
    NotADirectory {
        /// Which part of the overlay.
        role: &'static str,
        /// The path that was given.
        path: PathBuf,
    },

    /// The upper directory lives on an overlay itself; the kernel refuses (EINVAL) because
    /// overlayfs cannot create whiteouts and set its xattrs on another overlay.
    #[error(
        "upper directory {path} is on an overlay filesystem, which cannot hold another overlay's upper layer (the kernel would answer EINVAL): put upper and work dirs on a real filesystem such as ext4, xfs or tmpfs"
    )]
    UpperOnOverlay {
        /// The upper directory.
        path: PathBuf,
    },

    /// Upper and work are on different filesystems; overlayfs renames from work into upper.
    #[error(
        "upper {upper} and work {work} are on different filesystems: overlayfs renames files from work into upper, so put both on the same filesystem"
    )]
    UpperWorkOnDifferentFilesystems {
        /// The upper directory.
        upper: PathBuf,
        /// The work directory.
        work: PathBuf,
    },

    /// No lower directory was given.
    #[error("no lower directory given: an overlay needs at least one lower layer")]
    NoLowers,

    /// More lower layers than the kernel stacks (`OVL_MAX_STACK` in fs/overlayfs).
    #[error(
        "too many lower layers: {count} given, but overlayfs stacks at most {max}: squash some layers together"
    )]
    TooManyLayers {
        /// How many were given.
        count: usize,
        /// The kernel's limit.
        max: usize,
    },

    /// Even with short links the option string does not fit in the one page mount(2) copies.
    #[error(
        "overlay mount options are {len} bytes, over the kernel's limit of one page ({limit} bytes) even with short links: use fewer layers"
    )]
    OptionsTooLong {
        /// Length of the option string.
        len: usize,
        /// The most the kernel reads (page size minus the final NUL).
        limit: usize,
    },

    /// mount(2) failed for another reason.
    #[error("mounting overlay on {target} failed: {errno}{hint}")]
    Mount {
        /// The mount point.
        target: PathBuf,
        /// What the kernel answered.
        errno: Errno,
        /// A pointer to where to look next (starts with ": " when present).
        hint: &'static str,
    },

    /// umount2(2) failed.
    #[error(
        "unmounting {target} failed: {errno}: check `findmnt {target}` and what still uses it (`fuser -m`)"
    )]
    Unmount {
        /// The mount point.
        target: PathBuf,
        /// What the kernel answered.
        errno: Errno,
    },

    /// A tar layer held a path that would escape the directory it is applied to.
    #[error(
        "layer entry {path} contains `..` or passes through a symlink: refusing to apply it outside the target dir"
    )]
    UnsafePath {
        /// The path in the tar.
        path: PathBuf,
    },

    /// Any other file-system operation failed.
    #[error("{op} {path} failed: {source}")]
    Io {
        /// What we were doing ("read dir", "stat", "write tar entry" …).
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Short for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Extension that turns an `io::Result` into ours, adding the operation and the path.
pub(crate) trait IoContext<T> {
    /// Wrap the error with what we were doing and on which path.
    fn with_path(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn with_path(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| Error::Io {
            op,
            path: path.into(),
            source,
        })
    }
}

impl<T> IoContext<T> for nix::Result<T> {
    fn with_path(self, op: &'static str, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|errno| Error::Io {
            op,
            path: path.into(),
            source: errno.into(),
        })
    }
}
