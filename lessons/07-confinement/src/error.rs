//! The lesson's error type: every error says what failed, on what, and what to do.

use std::path::PathBuf;

/// What can go wrong while confining a process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call failed; `call` names it and its important arguments.
    #[error("{call} failed: {source}")]
    Syscall {
        /// The call, e.g. `prctl(PR_SET_NO_NEW_PRIVS)`.
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
    /// Changing a capability set failed (capget(2)/capset(2)/prctl(2) through the `caps` crate).
    #[error("{action}: {source}")]
    Capability {
        /// What was being done, e.g. `drop CAP_SYS_ADMIN from the bounding set`.
        action: String,
        /// The error the `caps` crate reported.
        #[source]
        source: caps::errors::CapsError,
    },
    /// A capability name that capabilities(7) does not know.
    #[error("unknown capability `{name}`: see capabilities(7) for the names, e.g. NET_ADMIN")]
    UnknownCapability {
        /// The name as given.
        name: String,
    },
    /// A seccomp profile that is not valid JSON of the expected shape; `path` is where in the
    /// document the mistake is (e.g. `syscalls[3].args[0].op`).
    #[error("seccomp profile {source_name}: at {path}: {why}")]
    Profile {
        /// The file the profile came from (or `built-in default`).
        source_name: String,
        /// The JSON path of the mistake.
        path: String,
        /// What is wrong there.
        why: String,
    },
    /// A seccomp profile that parses but cannot be applied on this machine.
    #[error("seccomp profile {source_name}: {why}")]
    Unusable {
        /// The file the profile came from (or `built-in default`).
        source_name: String,
        /// Why, and what to do.
        why: String,
    },
    /// libseccomp refused something while the filter was being built.
    #[error("libseccomp: {what}: {source}")]
    Seccomp {
        /// What was being done.
        what: String,
        /// The library's error.
        #[source]
        source: libseccomp::error::SeccompError,
    },
    /// Setting up the container around the confinement failed (lesson 01's mounts).
    #[error("container set-up: {0}")]
    Setup(#[from] namespaces::Error),
    /// A device program or device rule the kernel would not take.
    #[error("device rules: {0}")]
    Devices(String),
    /// This machine has no dmz (see `dmz.rs`).
    #[error("{0}")]
    NoDmz(String),
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

/// Wraps a failed capability change with what was being done, for `map_err`.
pub fn cap(action: impl Into<String>) -> impl FnOnce(caps::errors::CapsError) -> Error {
    let action = action.into();
    move |source| Error::Capability { action, source }
}
