//! What the swarm says about itself, read from the docker CLI's JSON output
//! (`docker node ls --format '{{json .}}'`, `docker service ps --format '{{json .}}'`,
//! `docker inspect TASK`): the nodes and their state, and the tasks — one per replica — with
//! the node each was placed on.

use serde_json::Value;

use crate::server::Server;
use crate::{Error, Result};

/// A swarm node as the manager sees it (`docker node ls`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The node's hostname (`serverN`).
    pub hostname: String,
    /// `Ready` or `Down`: does the manager get its heartbeats?
    pub status: String,
    /// `Active`, `Pause` or `Drain`: may the scheduler place tasks on it?
    pub availability: String,
    /// `Leader`, `Reachable` for managers; empty for workers.
    pub manager_status: String,
}

/// A task: one replica of a service, as the manager sees it (`docker service ps`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The task's id.
    pub id: String,
    /// `SERVICE.SLOT`, e.g. `web.2`.
    pub name: String,
    /// The node it was placed on; empty while Pending.
    pub node: String,
    /// What the orchestrator wants: `Running`, `Shutdown`, …
    pub desired: String,
    /// What the node reported, e.g. `Running 3 seconds ago`, `Pending 2 seconds ago`.
    pub current: String,
    /// Why it is not running, e.g. `no suitable node (insufficient resources on 3 nodes)`.
    pub error: String,
}

impl Task {
    /// The first word of the current state: `Running`, `Pending`, `Shutdown`, …
    pub fn state(&self) -> &str {
        self.current.split_whitespace().next().unwrap_or("")
    }

    /// Whether it should run and does.
    pub fn is_running(&self) -> bool {
        self.desired == "Running" && self.state() == "Running"
    }
}

/// `docker node ls` on a manager.
pub fn nodes(manager: &Server) -> Result<Vec<Node>> {
    let out = manager.docker_ok(&["node", "ls", "--format", "{{json .}}"])?;
    json_lines(&out, "docker node ls")?
        .iter()
        .map(|v| {
            Ok(Node {
                hostname: field(v, "Hostname"),
                status: field(v, "Status"),
                availability: field(v, "Availability"),
                manager_status: field(v, "ManagerStatus"),
            })
        })
        .collect()
}

/// `docker service ps SERVICE` on a manager, every task including finished ones.
pub fn tasks(manager: &Server, service: &str) -> Result<Vec<Task>> {
    let out = manager.docker_ok(&[
        "service",
        "ps",
        "--no-trunc",
        "--format",
        "{{json .}}",
        service,
    ])?;
    Ok(json_lines(&out, "docker service ps")?
        .iter()
        .map(|v| Task {
            id: field(v, "ID"),
            name: field(v, "Name")
                .trim_start_matches(['\\', '_', ' '])
                .to_string(),
            node: field(v, "Node"),
            desired: field(v, "DesiredState"),
            current: field(v, "CurrentState"),
            error: field(v, "Error"),
        })
        .collect())
}

/// The tasks of `service` that run, each with its node.
pub fn running(manager: &Server, service: &str) -> Result<Vec<Task>> {
    Ok(tasks(manager, service)?
        .into_iter()
        .filter(Task::is_running)
        .collect())
}

/// `docker inspect TASK` on a manager, parsed: the task object (`Status.ContainerStatus`,
/// `NetworksAttachments`, …).
pub fn inspect_task(manager: &Server, id: &str) -> Result<Value> {
    let out = manager.docker_ok(&["inspect", "--type", "task", id])?;
    let list: Value = serde_json::from_str(&out).map_err(|e| parse("docker inspect", e))?;
    list.get(0).cloned().ok_or_else(|| Error::Parse {
        what: "docker inspect".into(),
        detail: format!("no task {id}"),
    })
}

/// The container a task runs in, on its node (`Status.ContainerStatus.ContainerID`).
pub fn container_of(task: &Value) -> Option<String> {
    task.pointer("/Status/ContainerStatus/ContainerID")?
        .as_str()
        .map(str::to_string)
}

/// The task's addresses on the overlay network `network`, without the prefix length.
pub fn addresses_on(task: &Value, network: &str) -> Vec<String> {
    let attachments = task["NetworksAttachments"].as_array().cloned();
    attachments
        .unwrap_or_default()
        .iter()
        .filter(|a| a.pointer("/Network/Spec/Name").and_then(Value::as_str) == Some(network))
        .flat_map(|a| a["Addresses"].as_array().cloned().unwrap_or_default())
        .filter_map(|addr| Some(addr.as_str()?.split('/').next()?.to_string()))
        .collect()
}

fn json_lines(out: &str, what: &str) -> Result<Vec<Value>> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| parse(what, e)))
        .collect()
}

fn field(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

fn parse(what: &str, e: serde_json::Error) -> Error {
    Error::Parse {
        what: what.into(),
        detail: e.to_string(),
    }
}

/// The tasks as a small table (name, node, desired state, current state, error), for the
/// steps to print.
pub fn table(tasks: &[Task]) -> String {
    tasks
        .iter()
        .map(|t| {
            let node = if t.node.is_empty() { "-" } else { &t.node };
            format!(
                "  {:10} {:8} {:9} {:24} {}\n",
                t.name, node, t.desired, t.current, t.error
            )
        })
        .collect()
}
