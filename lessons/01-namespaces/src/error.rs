//! The lesson's error type: every error says what failed, on what, and what to do.

use std::path::PathBuf;

/// What can go wrong while building namespaces and root filesystems.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller is not root (no `CAP_SYS_ADMIN`), which namespaces and mounts need.
    #[error(
        "{what} needs root (CAP_SYS_ADMIN): run it with `cargo run` (the kit's runner uses sudo) or as root"
    )]
    NotRoot {
        /// What needed root, in words.
        what: String,
    },
    /// A system call failed; `call` names it and its important arguments.
    #[error("{call} failed: {source}")]
    Syscall {
        /// The call, e.g. `mount(proc on /proc)`.
        call: String,
        /// The kernel's error number.
        #[source]
        source: nix::Error,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// A root filesystem cannot be used.
    #[error("root filesystem {path}: {why}")]
    Rootfs {
        /// Where the root filesystem was expected.
        path: PathBuf,
        /// Why it cannot be used, and what to do.
        why: String,
    },
    /// The request itself is wrong (empty command, bad option).
    #[error("{0}")]
    Invalid(String),
    /// One of an engine's [`crate::hooks::Hooks`] failed; it says what and why.
    #[error("{0}")]
    Hook(Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// The lesson's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps a failed system call with a description of the call, for `map_err`.
pub fn sys(call: impl Into<String>) -> impl FnOnce(nix::Error) -> Error {
    let call = call.into();
    move |source| Error::Syscall { call, source }
}

/// Wraps a failed file operation with its path, for `map_err`.
pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
