//! Errors of volumes and mounts (`-v`, `--mount`, `volume …`), kept apart from the engine's
//! main enum because the record types and parsers of the model layer return them too.

use std::path::PathBuf;

/// What can go wrong with volumes and mounts. Messages follow Docker's where students will
/// meet Docker's, and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// A `-v`/`--mount` value that does not parse.
    #[error("invalid volume specification: {spec:?}: {why}")]
    Spec {
        /// The value as given.
        spec: String,
        /// What is wrong and what would be accepted.
        why: String,
    },
    /// A mode that is not `ro`, `rw` or `nocopy`.
    #[error("invalid mode: {mode}: use ro, rw or nocopy (comma-separated)")]
    Mode {
        /// The mode as given.
        mode: String,
    },
    /// A volume name with characters Docker refuses (often a relative host path).
    #[error(
        "create {name}: {name:?} includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
    )]
    Name {
        /// The name as given.
        name: String,
    },
    /// A bind mount's host path does not exist (Docker's `--mount` wording).
    #[error(
        "invalid mount config for type \"bind\": bind source path does not exist: {}: create it first",
        path.display()
    )]
    SourceMissing {
        /// The host path.
        path: PathBuf,
    },
    /// No volume by that name.
    #[error("no such volume: {0}")]
    NoSuchVolume(String),
    /// `volume rm` of a volume a container uses (Docker's wording and id list).
    #[error("remove {name}: volume is in use - [{}]", containers.join(", "))]
    InUse {
        /// The volume.
        name: String,
        /// Full ids of the containers using it.
        containers: Vec<String>,
    },
    /// The mount point inside the container cannot be made or used.
    #[error("cannot mount {} on {destination} in the container: {why}", host.display())]
    Target {
        /// The host side.
        host: PathBuf,
        /// The container side.
        destination: String,
        /// Why.
        why: String,
    },
    /// A bind's host path exists but cannot be looked at (permissions, a symlink loop…).
    #[error("cannot look at bind source {}: {source}", path.display())]
    BindSource {
        /// The host path.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A volume's metadata file is not what we wrote.
    #[error("corrupt volume file {path}: {why}: remove the volume's directory by hand")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}
