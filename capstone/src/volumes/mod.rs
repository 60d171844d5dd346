//! Volumes: directories that live outside a container's overlay layers, bind-mounted into it
//! with mount(2) — Docker's `-v`, `--mount` and `volume` verbs.
//!
//! Three kinds, as in Docker:
//! - a *bind mount* `-v /host/path:/ctr/path[:ro]`: a host file or directory, as it is;
//! - a *named volume* `-v NAME:/ctr/path`: a directory the engine owns, under
//!   `<root>/volumes/NAME/_data`, created on first use and kept until `volume rm`;
//! - an *anonymous volume* `-v /ctr/path` (or an image's `VOLUME`): the same, with a random
//!   64-hex name, removed with its container by `rm -v` or `--rm`.
//!
//! What happens where: [`spec`] parses the flags (before anything is written), [`store`] keeps
//! the named volumes, [`plan`] turns a container's flags and its image's `Volumes` into the
//! record's [`MountPoint`]s at `create`, and, inside the container's new mount namespace
//! before pivot_root(2), [`mount`] resolves each target *inside* the root file system with
//! openat2(2) ([`resolve`]), fills a new volume from the image ([`copy_up`]), and binds it.
//! See mount_namespaces(7): all of these mounts vanish with the container's namespace.

pub mod cli;
pub mod copy_up;
pub mod mount;
pub mod plan;
pub mod resolve;
pub mod spec;
pub mod store;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One mount of a container, as kept in its record and shown by `inspect` (Docker's
/// `Mounts` entries; the field names are Docker's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    /// `bind` or `volume`.
    #[serde(rename = "Type")]
    pub kind: Kind,
    /// The volume's name (empty for a bind mount).
    pub name: String,
    /// The host path that is bind-mounted (a volume's `_data`).
    pub source: PathBuf,
    /// The absolute path inside the container.
    pub destination: String,
    /// The mode as given (`ro`, `rw`, `nocopy`, or empty).
    pub mode: String,
    /// Writable (false for `:ro`).
    #[serde(rename = "RW")]
    pub rw: bool,
    /// Whether this volume was made for this container alone (`-v /path`, image `VOLUME`).
    pub anonymous: bool,
    /// Whether a new, empty volume is first filled with the image's files at the destination
    /// (false with `nocopy`, and for bind mounts).
    pub copy_up: bool,
}

/// The two kinds of mount this engine makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A host path.
    Bind,
    /// A volume the engine manages.
    Volume,
}

impl MountPoint {
    /// The entry `docker inspect` shows in `Mounts`: binds have no name or driver, and their
    /// propagation is `rprivate` (the container's mount namespace is made private, see
    /// mount_namespaces(7)); volumes show the `local` driver.
    pub fn to_json(&self) -> serde_json::Value {
        match self.kind {
            Kind::Bind => serde_json::json!({
                "Type": "bind", "Source": self.source, "Destination": self.destination,
                "Mode": self.mode, "RW": self.rw, "Propagation": "rprivate",
            }),
            Kind::Volume => serde_json::json!({
                "Type": "volume", "Name": self.name, "Source": self.source,
                "Destination": self.destination, "Driver": "local", "Mode": self.mode,
                "RW": self.rw, "Propagation": "",
            }),
        }
    }
}

/// What can go wrong with volumes and mounts. Messages follow Docker's where students will
/// meet Docker's, and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
