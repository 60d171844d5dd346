//! Looking at containers: `state` (the runtime spec's state JSON), `list` and `ps` (the
//! processes of a container's cgroup, shown by ps(1) as runc shows them).

use super::State;
use crate::mechanisms::oci::cgroup;
use crate::store::oci_state;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// `state ID`: the state JSON, its `owner` empty as runc's is.
pub fn state(root: &Path, id: &str) -> Result<State> {
    let mut state = super::load(root, id)?.1;
    state.owner = String::new();
    Ok(state)
}

/// `list`: every container under `root`, by id.
pub fn list(root: &Path) -> Result<Vec<State>> {
    let mut states = Vec::new();
    for id in oci_state::ids(root)? {
        if let Ok((_, state)) = super::load(root, &id) {
            states.push(state);
        }
    }
    Ok(states)
}

/// The pids in the container's cgroup (`cgroup.procs`), as the host sees them.
pub fn pids(root: &Path, id: &str) -> Result<Vec<i32>> {
    let (record, state) = super::load(root, id)?;
    if state.status == super::Status::Stopped {
        bail!("container not running");
    }
    let group = cgroup::open(&record.cgroup)
        .with_context(|| format!("the container's cgroup {} is gone", record.cgroup))?;
    let mut pids = group.processes()?;
    pids.sort();
    Ok(pids)
}

/// `ps ID [ps options]`: ps(1)'s table (default `-ef`), keeping the header and the lines of
/// the container's processes, found by the `PID` column as runc does.
pub fn ps_table(pids: &[i32], options: &[String]) -> Result<String> {
    let default = ["-ef".to_string()];
    let options = if options.is_empty() {
        &default[..]
    } else {
        options
    };
    let output = std::process::Command::new("ps")
        .args(options)
        .output()
        .context("run ps(1)")?;
    if !output.status.success() {
        bail!(
            "ps(1) failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let column = header
        .split_whitespace()
        .position(|c| c == "PID")
        .context("ps(1)'s output has no PID column")?;
    let mut table = format!("{header}\n");
    for line in lines {
        let pid = line
            .split_whitespace()
            .nth(column)
            .and_then(|p| p.parse().ok());
        if pid.is_some_and(|p: i32| pids.contains(&p)) {
            table.push_str(line);
            table.push('\n');
        }
    }
    Ok(table)
}
