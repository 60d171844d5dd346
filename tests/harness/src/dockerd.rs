//! A real Docker daemon for one test: Debian's `dockerd` (package `docker.io`, 20.10), the
//! reference our engine's behaviour is compared with.
//!
//! It never touches the machine's own Docker: each [`Dockerd`] runs
//! - in a network namespace of its own (a [`TestNetns`]; entered with setns(2) between fork
//!   and exec, as `nsenter --net` does — not `ip netns exec`, which remounts `/sys` and makes
//!   dockerd fail),
//! - in a mount namespace of its own (`unshare --mount`, propagation private) with a tmpfs on
//!   `/run`, so nothing it mounts (overlay2 layers, containerd's state, netns files) is seen
//!   outside, and it cannot find or disturb another daemon's sockets under `/run`,
//! - with its own `--data-root`, `--exec-root`, socket (`-H unix://…`), `--pidfile` and
//!   `--config-file`, all in one temporary directory,
//! - with no bridge (`--bridge=none --iptables=false --ip6tables=false`): it changes no
//!   firewall and makes no interface; `docker build` and `docker run` need `--network none`
//!   (BuildKit answers "network bridge not found" otherwise).
//!
//! Readiness is dockerd's own "API listen on" log line, then `GET /_ping` answering `OK`: no
//! sleeping. Dropping the guard stops dockerd by its pid (SIGTERM, then SIGKILL after a
//! deadline), kills whatever is left in its network namespace (containerd, shims), and
//! removes its directory; its mounts went away with its mount namespace.
//!
//! The client is Debian's own `/usr/bin/docker` (20.10, API 1.41, with BuildKit built in for
//! `DOCKER_BUILDKIT=1`) when installed; otherwise the `docker` on the PATH with
//! `DOCKER_API_VERSION=1.41` (a newer CLI would ask for an API version 20.10 does not speak).
//! There is no Docker Hub here: load images with [`Dockerd::load`] (a `docker save` archive,
//! e.g. one `capstone save` wrote) or pull them from a [`crate::registry::Registry`].

use crate::netns::TestNetns;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// Debian's docker client, which matches Debian's dockerd.
const DEBIAN_CLIENT: &str = "/usr/bin/docker";

/// How long dockerd may take to start (it starts its own containerd first).
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A running `dockerd` of a test's own; stopped and removed on drop.
pub struct Dockerd {
    child: Option<Child>,
    dir: tempfile::TempDir,
    log: Arc<Mutex<Vec<String>>>,
    netns: TestNetns,
}

impl Dockerd {
    /// Starts dockerd in a fresh network and mount namespace and waits (up to 60 s) until
    /// it answers `/_ping`. Panics with its log if it does not.
    pub fn start() -> Dockerd {
        Dockerd::start_with_config("{}\n")
    }

    /// [`Dockerd::start`] with this `daemon.json` — e.g. `runtimes` and `default-runtime`, to
    /// run containers with another OCI runtime.
    pub fn start_with_config(daemon_json: &str) -> Dockerd {
        let dir = tempfile::Builder::new()
            .prefix("dockerd-")
            .tempdir()
            .expect("temporary directory for dockerd");
        for sub in ["data", "exec", "client"] {
            std::fs::create_dir(dir.path().join(sub)).expect("create dockerd directory");
        }
        std::fs::write(dir.path().join("daemon.json"), daemon_json).expect("write daemon.json");
        let netns = TestNetns::new();
        // unshare(1) without --fork execs sh, and sh execs dockerd: the child's pid is
        // dockerd's (checked against its --pidfile below).
        let script = "mount -t tmpfs -o mode=0755 tmpfs /run && exec dockerd \
                      --data-root \"$1/data\" --exec-root \"$1/exec\" -H \"unix://$1/docker.sock\" \
                      --pidfile \"$1/docker.pid\" --config-file \"$1/daemon.json\" \
                      --bridge=none --iptables=false --ip6tables=false";
        let mut child = netns
            .command("unshare")
            .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg(script)
            .arg("dockerd-test")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dockerd under unshare (util-linux)");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("API listen on") {
                    let _ = ready_tx.send(());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let dockerd = Dockerd {
            child: Some(child),
            dir,
            log,
            netns,
        };
        // A disconnected channel means dockerd exited (its stderr closed) before listening.
        if ready_rx.recv_timeout(START_DEADLINE).is_err() {
            panic!(
                "dockerd did not start (is docker.io installed? scripts/setup-host.sh installs it):\n{}",
                dockerd.log()
            );
        }
        let ping = dockerd.ping();
        assert_eq!(ping.as_deref(), Some("OK"), "GET /_ping: {ping:?}");
        let pidfile = std::fs::read_to_string(dockerd.dir.path().join("docker.pid"))
            .expect("dockerd wrote no --pidfile");
        assert_eq!(pidfile.trim(), dockerd.pid().to_string(), "pidfile");
        dockerd
    }

    /// dockerd's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// The API socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    /// `unix:///…/docker.sock`, for `DOCKER_HOST`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// The daemon's directory (data root, exec root, socket, pidfile, client config).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The network namespace dockerd runs in.
    pub fn netns(&self) -> &TestNetns {
        &self.netns
    }

    /// dockerd's log so far (its stderr).
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The body of `GET /_ping` (HTTP/1.0 over the unix socket), `None` if it did not answer
    /// 200.
    pub fn ping(&self) -> Option<String> {
        let mut stream = UnixStream::connect(self.socket()).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        stream
            .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            .ok()?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).ok()?;
        let (head, body) = reply.split_once("\r\n\r\n")?;
        let status = head.split_whitespace().nth(1)?;
        (status == "200").then(|| body.to_string())
    }

    /// Whether the client has BuildKit built in (`DOCKER_BUILDKIT=1 docker build`): Debian's
    /// 20.10 client has; a newer client needs the buildx plugin, which Debian ships apart.
    pub fn has_buildkit(&self) -> bool {
        let out = self
            .docker()
            .args(["version", "--format", "{{.Client.Version}}"])
            .output();
        out.is_ok_and(|o| {
            let version = String::from_utf8_lossy(&o.stdout);
            version
                .split('.')
                .next()
                .and_then(|major| major.trim().parse::<u32>().ok())
                .is_some_and(|major| major < 23)
        })
    }

    /// A `docker` client command for this daemon (its own `DOCKER_HOST` and `DOCKER_CONFIG`).
    pub fn docker(&self) -> Command {
        let mut cmd = if Path::new(DEBIAN_CLIENT).exists() {
            Command::new(DEBIAN_CLIENT)
        } else {
            let mut c = Command::new("docker");
            c.env("DOCKER_API_VERSION", "1.41");
            c
        };
        cmd.env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", self.dir.path().join("client"))
            .env_remove("DOCKER_BUILDKIT")
            .env_remove("DOCKER_CONTEXT")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `docker ARGS`; panics with its output (and the daemon's log) if it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.docker().args(args).output().expect("run docker");
        self.expect_success(args, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Panics with the command's output and the daemon's log unless `out` is a success.
    pub fn expect_success(&self, args: &[&str], out: &Output) {
        assert!(
            out.status.success(),
            "docker {args:?} failed: {}{}\n--- dockerd log ---\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }

    /// `docker load -i ARCHIVE`: images from a `docker save` archive.
    pub fn load(&self, archive: &Path) {
        self.ok(&["load", "-i", archive.to_str().expect("UTF-8 path")]);
    }

    /// `docker save IMAGE -o ARCHIVE`.
    pub fn save(&self, image: &str, archive: &Path) {
        self.ok(&["save", "-o", archive.to_str().expect("UTF-8 path"), image]);
    }

    /// `docker image inspect IMAGE`, parsed.
    pub fn inspect(&self, image: &str) -> serde_json::Value {
        let out = self.ok(&["image", "inspect", image]);
        let mut list: Vec<serde_json::Value> =
            serde_json::from_str(&out).expect("docker image inspect gives JSON");
        list.remove(0)
    }

    /// Stops dockerd: SIGTERM, then SIGKILL if it has not exited within 20 s.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let (done_tx, done_rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _ = child.wait();
            let _ = done_tx.send(());
        });
        if done_rx.recv_timeout(Duration::from_secs(20)).is_err() {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = waiter.join();
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        self.stop();
        // containerd and its shims, if dockerd left them: everything in the namespace.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = self.netns.processes();
            if left.is_empty() || Instant::now() > deadline {
                break;
            }
            for pid in left {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            // A short pause between looks at /proc: the kernel frees them within milliseconds.
            std::thread::sleep(Duration::from_millis(20));
        }
        // The TempDir removes the directory; the mount namespace (and every mount in it)
        // was freed with its last process.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mount points under `dir` that this (the host's) mount namespace sees.
    fn mounts_under(dir: &Path) -> Vec<String> {
        let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let dir = dir.to_string_lossy().into_owned();
        table
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|m| m.starts_with(&dir))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn dockerd_runs_apart_and_leaves_nothing_behind() {
        let dockerd = Dockerd::start();
        let pid = dockerd.pid();
        let dir = dockerd.dir().to_path_buf();
        let own_net = std::fs::read_link("/proc/self/ns/net").unwrap();
        let own_mnt = std::fs::read_link("/proc/self/ns/mnt").unwrap();
        assert_ne!(
            std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap(),
            own_net
        );
        assert_ne!(
            std::fs::read_link(format!("/proc/{pid}/ns/mnt")).unwrap(),
            own_mnt
        );
        let info = dockerd.ok(&["info", "--format", "{{.DockerRootDir}}"]);
        assert_eq!(Path::new(info.trim()), dir.join("data"));
        assert!(mounts_under(&dir).is_empty(), "its mounts leaked out");
        drop(dockerd);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "dockerd still runs"
        );
        assert!(!dir.exists(), "its directory was not removed");
    }
}
