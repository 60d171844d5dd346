//! `capstone-runtime`'s operations: the OCI runtime contract (runtime-spec `runtime.md`) —
//! create a container from a bundle and hold it, start it, report its state, signal it,
//! delete it — plus runc's extras (run, exec, ps, pause, resume, update, list, features,
//! spec). Each is one short-lived process acting on the records under `--root`
//! (`store::oci_state`); the container itself is started the engine's way, with lesson 01's
//! `create_with` and the hooks in `mechanisms::oci`.

pub mod control;
pub mod create;
pub mod exec;
pub mod info;
pub mod query;
pub mod start;

use crate::mechanisms::process::alive;
use crate::store::oci_state::{self, EXEC_FIFO, Record};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A container's status, as the runtime spec names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created and held back, waiting for `start`.
    Created,
    /// Its command runs.
    Running,
    /// Frozen by `pause`.
    Paused,
    /// Its first process has exited.
    Stopped,
}

impl Status {
    /// The word in the state JSON and in `list`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// The status of a recorded container: its process must still be the one recorded (pid and
/// start time, see `mechanisms::process::alive`); the exec fifo is there until `start`.
pub fn status(root: &Path, record: &Record) -> Status {
    if !alive(record.pid, record.pid_start) {
        Status::Stopped
    } else if root.join(&record.id).join(EXEC_FIFO).exists() {
        Status::Created
    } else if record.paused {
        Status::Paused
    } else {
        Status::Running
    }
}

/// The state JSON of the runtime spec, plus runc's `rootfs`, `created` and `owner`, in runc's
/// order of fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// The bundle's spec version, as runc reports it.
    pub oci_version: String,
    /// The container's id.
    pub id: String,
    /// Its first process on the host; 0 once stopped.
    pub pid: i32,
    /// See [`Status`].
    pub status: Status,
    /// The bundle directory.
    pub bundle: PathBuf,
    /// The root filesystem.
    pub rootfs: PathBuf,
    /// When it was created (RFC 3339).
    pub created: String,
    /// The user who created it: `list` fills it in; `state` leaves it empty, as runc does.
    pub owner: String,
    /// The spec's annotations (left out when there are none, as runc does).
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub annotations: HashMap<String, String>,
}

/// The newest runtime-spec version this runtime implements (`features`).
pub const OCI_VERSION: &str = "1.0.2";

/// The state of `record` now.
pub fn state_of(root: &Path, record: &Record) -> State {
    let status = status(root, record);
    State {
        oci_version: record.oci_version.clone(),
        id: record.id.clone(),
        pid: if status == Status::Stopped {
            0
        } else {
            record.pid
        },
        status,
        bundle: record.bundle.clone(),
        rootfs: record.rootfs.clone(),
        created: record.created.clone(),
        owner: record.owner.clone(),
        annotations: record.annotations.clone(),
    }
}

/// Loads `id` and its state; "container does not exist" when there is none.
pub fn load(root: &Path, id: &str) -> anyhow::Result<(Record, State)> {
    let record = oci_state::load(root, id)?;
    let state = state_of(root, &record);
    Ok((record, state))
}
