//! What can go wrong when driving cgroups, each error naming the file or value involved
//! and what to do about it.

use std::path::PathBuf;

/// Everything the `cgroups` library can fail with.
///
/// Every variant carries the cgroup file or the limit string it is about, so a student can
/// look at (or `cat`) exactly that file to see what the kernel saw.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `/sys/fs/cgroup` is neither a cgroup2 mount nor a tmpfs holding v1 hierarchies.
    #[error(
        "no cgroup filesystem found at {path}: mount one with `mount -t cgroup2 none /sys/fs/cgroup`"
    )]
    NotMounted {
        /// The directory that was inspected with statfs(2).
        path: PathBuf,
    },

    /// A controller name we do not know (we handle `memory`, `cpu`, `pids` and `freezer`).
    #[error("unknown cgroup controller `{name}`: use one of memory, cpu, pids, freezer")]
    UnknownController {
        /// The name as given.
        name: String,
    },

    /// The kernel has the controller but it is not offered where we need it.
    #[error("the {controller} controller is not available in {file}: {fix}")]
    ControllerUnavailable {
        /// Controller name as the kernel spells it.
        controller: &'static str,
        /// The file that lists what is available (`cgroup.controllers` or `/proc/self/mountinfo`).
        file: PathBuf,
        /// What to do about it.
        fix: &'static str,
    },

    /// The cgroup directory is there already: somebody else owns it.
    #[error("cgroup {path} already exists: pick another name, or remove it with `rmdir {path}`")]
    AlreadyExists {
        /// The directory that exists.
        path: PathBuf,
    },

    /// The kernel said EACCES/EPERM.
    #[error(
        "no permission to {action} {path}: run as root (cargo's runner does) or use a cgroup delegated to you"
    )]
    PermissionDenied {
        /// What we tried to do ("create", "write to"…).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
    },

    /// Writing a value into a cgroup file failed: the kernel refused the value.
    #[error("the kernel refused `{value}` in {path}: {source}")]
    Write {
        /// The cgroup file.
        path: PathBuf,
        /// What we wrote.
        value: String,
        /// The errno the kernel returned.
        source: std::io::Error,
    },

    /// Any other I/O failure on a cgroup file or directory.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What we tried to do.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A cgroup file did not contain what the kernel documentation promises.
    #[error("unexpected content in {path}: `{content}`")]
    Parse {
        /// The cgroup file.
        path: PathBuf,
        /// What we read (trimmed).
        content: String,
    },

    /// A cgroup name that would leave the place cgroups are made (`..`, `/abs`, empty parts).
    #[error("invalid cgroup name `{name}`: use a relative path of plain names, like `lab/web`")]
    InvalidName {
        /// The name as given.
        name: String,
    },

    /// A limit string like `64m` or `0.5` that we cannot turn into a number the kernel takes.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidLimit {
        /// Which limit ("memory limit", "--cpus", …).
        what: &'static str,
        /// The string as given.
        value: String,
        /// Why it is rejected and what would be accepted.
        reason: String,
    },

    /// Something did not happen before its deadline (freezing, emptying a cgroup).
    #[error("timed out after {seconds:.1}s waiting for {what} in {path}")]
    Timeout {
        /// What we were waiting for.
        what: &'static str,
        /// The cgroup file we were watching.
        path: PathBuf,
        /// How long we waited.
        seconds: f64,
    },
}

/// The `Result` every function of this crate returns.
pub type Result<T> = std::result::Result<T, Error>;
