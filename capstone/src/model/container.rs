//! A container's record: what `create` decided (image, process, limits, flags) and what has
//! happened since (state, pid, exit code, times). Field names follow Docker's `inspect` output
//! so the record reads like `docker inspect` and the mapping stays obvious.

use super::network::NetworkSettings;
use super::ports::{PortBinding, ports_json};
use crate::model::clock;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One container, as stored in `<root>/containers/<id>/config.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Container {
    /// 64 hex digits.
    pub id: String,
    /// Unique name, without Docker's leading `/`.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created: String,
    /// The image's id: its config digest (`sha256:…`), what `docker inspect` calls `Image`.
    pub image: String,
    /// The image's manifest digest in the store.
    pub image_manifest: String,
    /// What the container runs and how.
    pub config: Config,
    /// Limits and host-side choices.
    pub host_config: HostConfig,
    /// What has happened to it.
    pub state: State,
    /// The overlay layers of its root filesystem.
    pub rootfs: Rootfs,
    /// Its cgroup's name (lesson 02), e.g. `capstone-<id>`.
    pub cgroup: String,
    /// Its networks and, while it runs, its addresses and published ports.
    #[serde(default)]
    pub network_settings: NetworkSettings,
    /// Bind mounts and volumes (`-v`, `--mount`, image `VOLUME`), mounted with mount(2) at start.
    #[serde(default)]
    pub mounts: Vec<crate::model::mounts::MountPoint>,
}

/// The process and its environment (Docker's `Config`), already resolved against the image.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    /// The image reference as given (normalised), shown in `ps`.
    pub image: String,
    /// argv: entrypoint + command.
    pub args: Vec<String>,
    /// The image's (or `--entrypoint`'s) entrypoint, for `inspect`.
    pub entrypoint: Vec<String>,
    /// The command part, for `inspect`.
    pub cmd: Vec<String>,
    /// `KEY=value` environment.
    pub env: Vec<String>,
    /// Working directory inside.
    pub working_dir: String,
    /// The user as given (`name`, `uid`, `uid:gid`).
    pub user: String,
    /// Resolved uid.
    pub uid: u32,
    /// Resolved gid.
    pub gid: u32,
    /// Hostname inside (UTS namespace).
    pub hostname: String,
    /// `-t`: a pseudo-terminal.
    pub tty: bool,
    /// `-i`: keep stdin open.
    pub open_stdin: bool,
    /// The signal `stop` sends first (`--stop-signal`, else the image's `StopSignal`; empty:
    /// SIGTERM).
    pub stop_signal: String,
    /// The image's `ExposedPorts` and the `-p` ports, as `80/tcp`.
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    /// The image's labels with `-l`/`--label-file` on top (Docker's `Config.Labels`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `--stop-timeout`: seconds `stop` waits before SIGKILL when not told (Docker: 10).
    #[serde(default)]
    pub stop_timeout: Option<u64>,
    /// The health check (image `HEALTHCHECK`, `--health-*`), run by the monitor.
    #[serde(default)]
    pub healthcheck: Option<crate::model::health::HealthConfig>,
}

/// Host-side settings (Docker's `HostConfig`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfig {
    /// `--rm`: remove the container when it exits.
    pub auto_remove: bool,
    /// `--read-only`: mount the root filesystem read-only.
    pub readonly_rootfs: bool,
    /// `--memory` in bytes (0: no limit).
    pub memory: u64,
    /// `--cpus` × 10⁹ (Docker's unit; 0: no limit).
    pub nano_cpus: u64,
    /// `--pids-limit` (0: no limit).
    pub pids_limit: u64,
    /// `--network`: `bridge` (the default), `none`, `host` or a network's name.
    pub network_mode: String,
    /// `-p`: host ports forwarded to the container's ports.
    #[serde(default)]
    pub port_bindings: Vec<PortBinding>,
    /// `--cap-add`.
    pub cap_add: Vec<String>,
    /// `--cap-drop`.
    pub cap_drop: Vec<String>,
    /// `--privileged`: every capability, nothing masked.
    pub privileged: bool,
    /// `--init`: the engine's own pid 1 reaps zombies and forwards signals.
    pub init: bool,
    /// The `-v` values as given (Docker's `Binds`).
    #[serde(default)]
    pub binds: Vec<String>,
    /// `--security-opt` values as given (`seccomp=unconfined`, `seccomp=FILE`,
    /// `no-new-privileges`); a profile file is copied into the container's directory at create.
    #[serde(default)]
    pub security_opt: Vec<String>,
    /// `--restart`: when its monitor starts it again after it exits.
    #[serde(default)]
    pub restart_policy: crate::model::restart::RestartPolicy,
    /// Hosts, DNS, tmpfs, ulimits, devices, shm, sysctls, groups, log rotation.
    #[serde(default)]
    pub run_flags: crate::model::run_flags::RunFlags,
}

/// Where the container's layers live (Docker's `GraphDriver.Data`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rootfs {
    /// The image's unpacked layers, topmost first (overlayfs's `lowerdir=` order).
    pub lower_dirs: Vec<PathBuf>,
    /// The container's own writable layer.
    pub upper_dir: PathBuf,
    /// overlayfs's work directory.
    pub work_dir: PathBuf,
    /// Where the merged view is mounted, inside the container's own mount namespace only:
    /// one empty directory that every container shares (`store::Paths::rootfs_mount_point`).
    pub merged_dir: PathBuf,
}

/// Docker's `State`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct State {
    /// `created`, `running`, `paused`, `exited`, `removing`.
    pub status: String,
    /// Whether its first process is alive.
    pub running: bool,
    /// Whether its cgroup is frozen.
    pub paused: bool,
    /// Host pid of its first process (0 when not running).
    pub pid: i32,
    /// Start time of that pid, to tell it from a reused pid.
    pub pid_start: u64,
    /// Host pid of its monitor (0 when none).
    pub monitor_pid: i32,
    /// Start time of the monitor's pid.
    pub monitor_start: u64,
    /// Exit code: the status, or 128+N for signal N.
    pub exit_code: i32,
    /// Whether the OOM killer killed a process of its cgroup during its last run.
    #[serde(rename = "OOMKilled", default)]
    pub oom_killed: bool,
    /// Why it failed to start or how its end was learnt, if noteworthy.
    pub error: String,
    /// When it last started.
    pub started_at: String,
    /// When it last exited.
    pub finished_at: String,
    /// Its monitor waits out the back-off before starting it again (`--restart`).
    #[serde(default)]
    pub restarting: bool,
    /// How often its restart policy started it again since it was last started by hand.
    #[serde(default)]
    pub restart_count: u32,
    /// `stop` or `kill` ended it: no policy restarts it (Docker's `HasBeenManuallyStopped`).
    #[serde(default)]
    pub manually_stopped: bool,
    /// What its health probes found, if it has a check.
    #[serde(default)]
    pub health: Option<crate::model::health::Health>,
}

impl Default for State {
    fn default() -> Self {
        State {
            status: "created".into(),
            running: false,
            paused: false,
            pid: 0,
            pid_start: 0,
            monitor_pid: 0,
            monitor_start: 0,
            exit_code: 0,
            oom_killed: false,
            error: String::new(),
            started_at: clock::ZERO_TIME.into(),
            finished_at: clock::ZERO_TIME.into(),
            restarting: false,
            restart_count: 0,
            manually_stopped: false,
            health: None,
        }
    }
}

impl State {
    /// Records an exit.
    pub fn mark_exited(&mut self, code: i32) {
        self.status = "exited".into();
        self.running = false;
        self.paused = false;
        self.restarting = false;
        self.pid = 0;
        self.pid_start = 0;
        self.monitor_pid = 0;
        self.monitor_start = 0;
        self.exit_code = code;
        self.finished_at = clock::now();
    }

    /// `docker ps`'s STATUS column: `Created`, `Up 3 seconds`, `Up 3 seconds (Paused)`,
    /// `Exited (137) 5 seconds ago`, `Restarting (1) 2 seconds ago`.
    pub fn status_line(&self) -> String {
        let ago = |t: &str| clock::since(t).map(clock::human).unwrap_or_default();
        match self.status.as_str() {
            "running" => format!(
                "Up {}{}",
                ago(&self.started_at),
                self.health
                    .as_ref()
                    .map(|h| h.ps_suffix())
                    .unwrap_or_default()
            ),
            "paused" => format!("Up {} (Paused)", ago(&self.started_at)),
            "exited" => format!("Exited ({}) {} ago", self.exit_code, ago(&self.finished_at)),
            "restarting" => format!(
                "Restarting ({}) {} ago",
                self.exit_code,
                ago(&self.finished_at)
            ),
            "removing" => "Removal In Progress".into(),
            _ => "Created".into(),
        }
    }
}

impl Container {
    /// The first 12 hex digits, as `ps` shows.
    pub fn short_id(&self) -> &str {
        crate::model::ids::short(&self.id)
    }

    /// Whether it has live processes (running or paused), or a monitor about to restart it.
    pub fn is_active(&self) -> bool {
        self.has_processes() || self.state.restarting
    }

    /// Whether its first process is alive (running or paused): it has namespaces to join.
    pub fn has_processes(&self) -> bool {
        self.state.running || self.state.paused
    }

    /// `inspect`'s `NetworkSettings` of a container record.
    pub fn network_settings_json(&self) -> Value {
        let c = self;
        let s = &c.network_settings;
        let primary = s.primary().cloned().unwrap_or_default();
        let mut ports = ports_json(&s.ports);
        for exposed in &c.config.exposed_ports {
            if let Some(map) = ports.as_object_mut() {
                map.entry(exposed.clone()).or_insert(Value::Null);
            }
        }
        let networks: BTreeMap<&String, Value> = if s.networks.is_empty() {
            // `none` and `host` are networks too in Docker's output, with nothing in them.
            BTreeMap::new()
        } else {
            s.networks.iter().map(|(n, e)| (n, json!(e))).collect()
        };
        let mut networks = json!(networks);
        if s.networks.is_empty()
            && let Some(map) = networks.as_object_mut()
        {
            map.insert(c.host_config.network_mode.clone(), json!({}));
        }
        json!({
            "IPAddress": primary.ip_address, "IPPrefixLen": primary.ip_prefix_len,
            "Gateway": primary.gateway, "MacAddress": primary.mac_address,
            "Ports": ports, "Networks": networks,
        })
    }

    /// `ps`'s PORTS column: bindings while running (`0.0.0.0:8080->80/tcp`), then exposed ports
    /// that are not published (`443/tcp`), comma-separated as Docker prints them.
    pub fn ps_ports(&self) -> String {
        let c = self;
        if !c.is_active() {
            return String::new(); // Docker shows no ports for a container that does not run
        }
        let mut items: Vec<String> = Vec::new();
        let ports = &c.network_settings.ports;
        items.extend(ports.iter().map(PortBinding::display));
        for exposed in &c.config.exposed_ports {
            if !ports.iter().any(|b| &b.key() == exposed) {
                items.push(exposed.clone());
            }
        }
        items.join(", ")
    }
}
