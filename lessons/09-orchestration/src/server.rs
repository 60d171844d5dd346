//! One server of the cluster: its own network, UTS and mount namespaces, and a dockerd whose
//! default OCI runtime is `capstone-runtime`.
//!
//! How it starts (the one process tree per server):
//!
//! ```text
//! setns(server's netns)             the server's network: eth0 = 10.9.0.N, on the switch
//!  └ unshare --uts --mount          its own hostname, its own mount table
//!     └ sh: hostname serverN; mount tmpfs /run; exec dockerd --config-file …
//! ```
//!
//! We enter the network namespace with setns(2) between fork and exec (what `nsenter --net`
//! does), never with `ip netns exec`, which remounts `/sys` for the new namespace and makes
//! dockerd fail. The private `/run` keeps containerd's and the netns files of each server
//! apart. Everything else that would collide between three daemons on one kernel is given
//! in the daemon's own config file (dockerd(8), `daemon.json`): data root, exec root,
//! socket, pidfile, cgroup parent — and `runtimes` + `default-runtime`, which make dockerd
//! → containerd → the runc shim call our binary for every container, swarm tasks included.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use network::NetNs;

use crate::{Error, Result, checked, wait_for};

mod teardown;
pub use teardown::processes_in;

/// Debian's docker client, the same version as Debian's dockerd.
const DEBIAN_CLIENT: &str = "/usr/bin/docker";

/// How many servers this process has started (part of each cgroup parent's name).
static STARTED: AtomicU32 = AtomicU32::new(0);

/// How long a dockerd may take to answer its first `/_ping`.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A running server; stopped, and everything it made removed, on drop.
pub struct Server {
    number: u8,
    netns: NetNs,
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    cgroup_parent: String,
}

impl Server {
    /// Starts server `number`'s dockerd in `netns` (already wired to the switch), with
    /// `runtime` as its default runtime and `registry` (HOST:PORT) trusted over plain HTTP.
    pub fn start(number: u8, netns: NetNs, runtime: &Path, registry: &str) -> Result<Server> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("lab09-server{number}-"))
            .tempdir()
            .map_err(|source| Error::Io {
                what: "creating the server's directory under /tmp".into(),
                source,
            })?;
        // Unique on this machine: this process's pid, and a count of the servers it started.
        let started = STARTED.fetch_add(1, Ordering::Relaxed);
        let cgroup_parent = format!("lab09-{}-{started}-server{number}", std::process::id());
        let at = |sub: &str| dir.path().join(sub).display().to_string();
        let config = serde_json::json!({
            "data-root": at("data"),
            "exec-root": at("exec"),
            "pidfile": at("docker.pid"),
            "hosts": [format!("unix://{}", at("docker.sock"))],
            "runtimes": {"capstone": {"path": runtime}},
            "default-runtime": "capstone",
            "cgroup-parent": cgroup_parent,
            "insecure-registries": [registry],
            // No docker0 and no firewall rules: swarm's overlay makes its own networks.
            "bridge": "none",
            "iptables": false,
            "ip6tables": false,
        });
        let config_path = dir.path().join("daemon.json");
        std::fs::write(&config_path, format!("{config:#}\n")).map_err(|source| Error::Io {
            what: format!("writing {}", config_path.display()),
            source,
        })?;
        let log = File::create(dir.path().join("dockerd.log")).map_err(|source| Error::Io {
            what: "creating dockerd.log".into(),
            source,
        })?;
        let stderr = log.try_clone().map_err(|source| Error::Io {
            what: "dockerd.log".into(),
            source,
        })?;
        let script = "hostname \"$1\" && mount -t tmpfs -o mode=0755 tmpfs /run \
                      && exec dockerd --config-file \"$2\"";
        let daemon = netns
            .command("unshare")
            .args(["--uts", "--mount", "--propagation", "private", "--"])
            .args(["sh", "-c", script, "server"])
            .arg(format!("server{number}"))
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(|source| Error::Io {
                what: "starting dockerd under unshare (util-linux, docker.io)".into(),
                source,
            })?;
        let mut server = Server {
            number,
            netns,
            dir,
            daemon: Some(daemon),
            cgroup_parent,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Polls `GET /_ping` until dockerd answers `OK`, failing early if it exited.
    fn wait_ready(&mut self) -> Result<()> {
        let what = format!("server{}'s dockerd to answer /_ping", self.number);
        wait_for(&what, START_LIMIT, || {
            if let Some(child) = self.daemon.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(Error::Command {
                    command: format!("dockerd of server{}", self.number),
                    status: status.to_string(),
                    stderr: self.log_tail(20),
                });
            }
            Ok((ping(&self.socket()).as_deref() == Some("OK")).then_some(()))
        })
    }

    /// The server's hostname, `serverN`, which swarm reports as the node's name.
    pub fn hostname(&self) -> String {
        format!("server{}", self.number)
    }

    /// The server's network namespace.
    pub fn netns(&self) -> &NetNs {
        &self.netns
    }

    /// dockerd's pid (the `unshare` and `sh` before it exec'd into dockerd).
    pub fn daemon_pid(&self) -> Option<u32> {
        self.daemon.as_ref().map(Child::id)
    }

    /// The server's directory: daemon.json, dockerd.log, data/, exec/, docker.sock.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The daemon's API socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    /// The cgroup directory name all of this server's containers live under.
    pub fn cgroup_parent(&self) -> &str {
        &self.cgroup_parent
    }

    /// Where dockerd tells our runtime to keep its state (`--root` on every call): dockerd
    /// 20.10 gives every runc-like runtime `EXEC_ROOT/runtime-runc` (whatever its name), and
    /// containerd's shim adds its namespace, `moby`.
    pub fn runtime_root(&self) -> PathBuf {
        self.dir.path().join("exec/runtime-runc/moby")
    }

    /// The last `lines` lines of dockerd's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// A `docker` command talking to this server's dockerd.
    pub fn docker(&self) -> Command {
        let mut cmd = if Path::new(DEBIAN_CLIENT).exists() {
            Command::new(DEBIAN_CLIENT)
        } else {
            // A newer client would ask for an API version dockerd 20.10 does not speak.
            let mut newer = Command::new("docker");
            newer.env("DOCKER_API_VERSION", "1.41");
            newer
        };
        cmd.env("DOCKER_HOST", format!("unix://{}", self.socket().display()))
            .env("DOCKER_CONFIG", self.dir.path().join("client"))
            .env_remove("DOCKER_CONTEXT")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `docker ARGS` on this server and returns its stdout.
    pub fn docker_ok(&self, args: &[&str]) -> Result<String> {
        let line = format!("docker {} (on {})", args.join(" "), self.hostname());
        checked(&line, self.docker().args(args).output())
    }

    /// A command run inside this server's namespaces (network, UTS and mount — so it sees
    /// the server's hostname and what dockerd mounted): `nsenter --target DOCKERD …`.
    pub fn nsenter(&self, program: &str) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg("--target")
            .arg(self.daemon_pid().unwrap_or(0).to_string())
            .args(["--net", "--uts", "--mount", "--", program]);
        cmd
    }
}

/// The body of `GET /_ping` on a dockerd socket, if it answered at all.
fn ping(socket: &Path) -> Option<String> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    reply
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}
