//! The doctor's error type. A check never fails outright: a probe's error becomes the
//! "missing" finding of its check, so every message says what failed and on what.

use std::path::PathBuf;
use std::time::Duration;

/// What can go wrong while probing the machine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call failed; `call` names it and its important arguments.
    #[error("{call} failed: {source}")]
    Syscall {
        /// The call, e.g. `mount(overlay on /tmp/x/merged)`.
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
    /// The kernel answered an rtnetlink request with an error.
    #[error("{what}: {source}")]
    Netlink {
        /// The request, in `ip` words (`ip link add … type veth`).
        what: String,
        /// The error number or decoding problem.
        #[source]
        source: std::io::Error,
    },
    /// A probe ran in a child process that did not finish in time and was killed.
    #[error("{what} did not finish within {after:?} and was killed")]
    Timeout {
        /// What the child was doing.
        what: String,
        /// The deadline.
        after: Duration,
    },
    /// A probe found something that does not behave as the kernel documents.
    #[error("{0}")]
    Unexpected(String),
}

/// The doctor's result type.
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
