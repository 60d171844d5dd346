//! Lesson 09: beyond one machine — scheduling, clustering and service discovery, observed on
//! a real Docker swarm of three "servers" whose every container runs under the kit's own OCI
//! runtime, `capstone-runtime`.
//!
//! A home-made orchestrator would teach the wrong lesson, so this lesson builds none: it
//! builds the *machines* and lets Docker's swarm mode (SwarmKit, inside Debian's dockerd) do
//! the orchestration. Each piece is one module:
//!
//! - [`switch`]: a network namespace with a bridge — the rack's Ethernet switch — and the
//!   veth "cables" to each server (network_namespaces(7), veth(4), lesson 06's netlink);
//! - [`server`]: one server — a network namespace, a UTS namespace (its own hostname), a
//!   mount namespace (its own `/run`) and a dockerd whose default runtime is
//!   `capstone-runtime`, with its own config file, data root, exec root, socket, pidfile and
//!   cgroup parent;
//! - [`registry`]: the cluster's registry (Debian's `docker-registry`) on the switch, where
//!   every server pulls its images from;
//! - [`images`]: the two images the lesson runs, made from files already on this machine
//!   (lesson 01's busybox root filesystem; Debian's `etcd` added for service discovery);
//! - [`swarm`]: what the docker CLI says about nodes and tasks, parsed;
//! - [`discovery`]: tasks registering in etcd under a lease, and a client watching;
//! - [`evidence`]: three witnesses that a task runs under `capstone-runtime`;
//! - [`overlay`]: the VXLAN device and tunnel endpoints behind an overlay network;
//! - [`cgroup`]: each server's cgroup parent, to find and remove all its containers;
//! - [`cluster`]: all of it together, and torn down on drop, on every path.
//!
//! The step executables (`src/bin/`) each start a cluster and show one idea; the chapter
//! `book/src/09-orchestration.md` walks through them.

pub mod cgroup;
pub mod cluster;
pub mod discovery;
pub mod evidence;
pub mod images;
pub mod overlay;
pub mod registry;
pub mod server;
pub mod swarm;
pub mod switch;

pub use cluster::Cluster;
pub use server::Server;
pub use swarm::{Node, Task};

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

/// What can go wrong while building or driving the cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What we were doing, with the path.
        what: String,
        /// The error from the kernel.
        source: std::io::Error,
    },
    /// A program we called (docker, ip, tar, …) failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        /// The command line, shortened.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// Wiring the switch failed (lesson 06's netlink).
    #[error("wiring the switch: {0}")]
    Netlink(#[from] network::netlink::Error),
    /// A network namespace could not be made or entered.
    #[error(transparent)]
    Netns(#[from] network::netns::Error),
    /// Lesson 01 could not build the busybox root filesystem.
    #[error("busybox root filesystem: {0}")]
    Rootfs(#[from] namespaces::error::Error),
    /// Something did not happen before its deadline.
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout {
        /// What we waited for.
        what: String,
        /// How long we waited.
        seconds: u64,
    },
    /// A program's output did not have the shape we expected.
    #[error("could not read {what}: {detail}")]
    Parse {
        /// Whose output.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// The runtime binary is missing.
    #[error(
        "capstone-runtime not found at {0}: build it with `cargo build -p capstone --bin capstone-runtime`, or set CAPSTONE_RUNTIME_BIN"
    )]
    NoRuntime(PathBuf),
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Turns a finished program's [`Output`] into its stdout, or an [`Error::Command`].
pub fn checked(command: &str, out: std::io::Result<Output>) -> Result<String> {
    let out = out.map_err(|source| Error::Io {
        what: format!("starting `{command}`"),
        source,
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::Command {
            command: command.chars().take(200).collect(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Polls `probe` until it returns `Some`, or fails with [`Error::Timeout`] after `limit`.
///
/// A cluster converges on its own schedule (heartbeats, image pulls, elections): rather than
/// sleeping a guessed time we ask again, a quarter second apart, until a deadline.
pub fn wait_for<T>(
    what: &str,
    limit: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe()? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: what.to_string(),
                seconds: limit.as_secs(),
            });
        }
        // Between two looks at the cluster: a pause, not a guess at how long it takes.
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The `capstone-runtime` binary every server's dockerd runs containers with:
/// `$CAPSTONE_RUNTIME_BIN`, or the one cargo built beside this program (`target/debug/`).
pub fn runtime_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CAPSTONE_RUNTIME_BIN") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(Error::NoRuntime(path))
        };
    }
    let exe = std::env::current_exe().map_err(|source| Error::Io {
        what: "finding this program (/proc/self/exe)".into(),
        source,
    })?;
    // A step runs from target/debug/, a test from target/debug/deps/.
    let candidates = exe.ancestors().skip(1).take(2);
    let mut first = None;
    for dir in candidates {
        let path = dir.join("capstone-runtime");
        if path.is_file() {
            return Ok(path);
        }
        first.get_or_insert(path);
    }
    Err(Error::NoRuntime(first.unwrap_or_default()))
}
