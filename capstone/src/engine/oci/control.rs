//! Acting on a container: `kill` (kill(2), or every process of its cgroup with `--all`),
//! `delete` (what is left: the process if forced, the cgroup, the record), `pause` and
//! `resume` (the cgroup freezer), `update` (new limits written into its cgroup). Error texts
//! are runc's, because callers (containerd, podman) match them.

use super::Status;
use crate::mechanisms::oci::lifecycle::{self, Stage};
use crate::mechanisms::oci::{bundle, cgroup};
use crate::store::oci_state::{self, Record};
use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill as send};
use nix::unistd::Pid;
use oci_spec::runtime::LinuxResources;
use std::path::Path;
use std::time::Duration;

/// How long `delete` waits for a killed container's process to go.
const KILL_DEADLINE: Duration = Duration::from_secs(10);

/// A signal by name (`KILL`, `SIGKILL`) or number (`9`), as runc takes it.
pub fn parse_signal(text: &str) -> Result<Signal> {
    if let Ok(number) = text.parse::<i32>() {
        return Signal::try_from(number).with_context(|| format!("unknown signal {text:?}"));
    }
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse()
        .map_err(|_| anyhow::anyhow!("unknown signal {text:?}"))
}

/// `kill ID SIGNAL [--all]`.
pub fn kill(root: &Path, id: &str, signal: Signal, all: bool) -> Result<()> {
    let (record, state) = super::load(root, id)?;
    if state.status == Status::Stopped {
        bail!("container not running");
    }
    if all && let Some(group) = cgroup::open(&record.cgroup) {
        for pid in group.processes()? {
            let _ = send(Pid::from_raw(pid), signal);
        }
        return Ok(());
    }
    send(Pid::from_raw(record.pid), signal).context("container not running")
}

/// `delete ID [--force]`. A directory without a record (a runtime killed in the middle of
/// `create`) is removed too, as runc does; with `--force` a missing container is no error.
pub fn delete(root: &Path, id: &str, force: bool) -> Result<()> {
    let dir = oci_state::dir(root, id)?;
    let record = match oci_state::load(root, id) {
        Ok(record) => record,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return if force { Ok(()) } else { Err(e) };
        }
    };
    let status = super::status(root, &record);
    if matches!(status, Status::Running | Status::Paused) && !force {
        bail!(
            "cannot delete container {id} that is not stopped: {}",
            status.word()
        );
    }
    destroy(root, &record)
}

/// Kills what is left (the first process, then the whole cgroup), runs the poststop hooks
/// and removes the cgroup and the record.
fn destroy(root: &Path, record: &Record) -> Result<()> {
    if crate::mechanisms::process::alive(record.pid, record.pid_start) {
        if let Some(group) = cgroup::open(&record.cgroup) {
            let _ = group.thaw(); // a frozen process cannot die
        }
        let _ = send(Pid::from_raw(record.pid), Signal::SIGKILL);
        crate::mechanisms::process::wait_for_exit(
            record.pid,
            record.pid_start,
            Some(KILL_DEADLINE),
        );
    }
    if let Some(group) = cgroup::open(&record.cgroup) {
        group
            .remove()
            .with_context(|| format!("remove cgroup {}", record.cgroup))?;
    }
    if let Ok(bundle) = bundle::load(&record.bundle) {
        let state = serde_json::to_vec(&super::state_of(root, record))?;
        if let Err(e) = lifecycle::run(&bundle.spec, Stage::Poststop, &state) {
            eprintln!("capstone-runtime: warning: {e:#}");
        }
    }
    let dir = oci_state::dir(root, &record.id)?;
    std::fs::remove_dir_all(&dir).with_context(|| format!("remove {}", dir.display()))
}

/// `pause`: freezes every process of the container (cgroup freezer).
pub fn pause(root: &Path, id: &str) -> Result<()> {
    let (mut record, state) = super::load(root, id)?;
    if state.status != Status::Running {
        bail!("container not running");
    }
    group_of(&record)?.freeze()?;
    record.paused = true;
    oci_state::save(root, &record)
}

/// `resume`: thaws a paused container.
pub fn resume(root: &Path, id: &str) -> Result<()> {
    let (mut record, state) = super::load(root, id)?;
    if state.status != Status::Paused {
        bail!("container not paused");
    }
    group_of(&record)?.thaw()?;
    record.paused = false;
    oci_state::save(root, &record)
}

/// `update --resources FILE|-`: the JSON of `linux.resources`, written into the cgroup.
pub fn update(root: &Path, id: &str, resources_json: &[u8]) -> Result<()> {
    let (record, state) = super::load(root, id)?;
    if state.status == Status::Stopped {
        bail!("container not running");
    }
    let de = &mut serde_json::Deserializer::from_slice(resources_json);
    let resources: LinuxResources = serde_path_to_error::deserialize(de)
        .map_err(|e| anyhow::anyhow!("resources: field `{}`: {}", e.path(), e.inner()))?;
    cgroup::apply(group_of(&record)?.as_ref(), &resources)
}

fn group_of(record: &Record) -> Result<Box<dyn cgroups::Cgroup>> {
    cgroup::open(&record.cgroup)
        .with_context(|| format!("the container's cgroup {} is gone", record.cgroup))
}
