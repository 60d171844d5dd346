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
//! What happens where: [`super::volume_spec`] parses the flags (before anything is written),
//! `store::volumes` keeps the named volumes, `engine::volumes` turns a container's flags and its
//! image's `Volumes` into the record's [`MountPoint`]s at `create`, and, inside the container's
//! new mount namespace before pivot_root(2), `mechanisms::volumes` resolves each target
//! *inside* the root file system with openat2(2), fills a new volume from the image, and
//! binds it.
//! See mount_namespaces(7): all of these mounts vanish with the container's namespace.

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
