//! Evidence that a swarm task runs under `capstone-runtime`, from three independent
//! witnesses: the manager (which container is the task's, on which node), that node's
//! dockerd (`HostConfig.Runtime`: the runtime it asked containerd's shim to call), and our
//! runtime itself (`capstone-runtime --root ROOT state ID`: the state JSON of the OCI
//! runtime spec, kept under the root dockerd passes on every call).

use std::process::Command;

use crate::cluster::Cluster;
use crate::swarm::{self, Task};
use crate::{Error, Result, checked};

/// What shows that a task's container runs under our runtime.
#[derive(Debug, Clone)]
pub struct RuntimeEvidence {
    /// The node the task runs on.
    pub node: String,
    /// Its container's id on that node.
    pub container: String,
    /// The runtime dockerd started it with (`HostConfig.Runtime`): `capstone`.
    pub runtime_name: String,
    /// `status` in the state JSON `capstone-runtime state` prints: `running`.
    pub runtime_status: String,
    /// `pid` in that state JSON: the container's init process, as the host sees it.
    pub runtime_pid: i64,
}

impl Cluster {
    /// Evidence that `task` ran under `capstone-runtime`: its node, its container, the
    /// runtime dockerd recorded for it (`HostConfig.Runtime`), and the state our runtime keeps
    /// for it under the root dockerd gave it (`capstone-runtime --root … state ID`).
    pub fn runtime_evidence(&self, task: &Task) -> Result<RuntimeEvidence> {
        let inspected = swarm::inspect_task(self.manager(), &task.id)?;
        let container = swarm::container_of(&inspected).ok_or_else(|| Error::Parse {
            what: format!("task {}", task.name),
            detail: "it has no container yet".into(),
        })?;
        let server = self.server_named(&task.node).ok_or_else(|| Error::Parse {
            what: format!("task {}", task.name),
            detail: format!("unknown node {:?}", task.node),
        })?;
        let runtime_name = server
            .docker_ok(&["inspect", "--format", "{{.HostConfig.Runtime}}", &container])?
            .trim()
            .to_string();
        let root = server.runtime_root();
        let state = checked(
            "capstone-runtime state",
            Command::new(self.runtime())
                .arg("--root")
                .arg(&root)
                .args(["state", &container])
                .output(),
        )?;
        let state: serde_json::Value = serde_json::from_str(&state).map_err(|e| Error::Parse {
            what: "capstone-runtime state".into(),
            detail: e.to_string(),
        })?;
        Ok(RuntimeEvidence {
            node: task.node.clone(),
            container,
            runtime_name,
            runtime_status: state["status"].as_str().unwrap_or_default().to_string(),
            runtime_pid: state["pid"].as_i64().unwrap_or_default(),
        })
    }
}
