//! Service discovery with a key-value store, as the notes describe it: each task registers
//! `KEY = ADDRESS:PORT` under a lease (a time-to-live it must keep renewing), and clients
//! *watch* the prefix, so they hear of every task that comes — and, when a task dies or is
//! cut off and its lease runs out, of every task that goes.
//!
//! The store is Debian's etcd (the one Kubernetes keeps its whole state in), run as a swarm
//! service of its own; tasks and clients find *it* by swarm's DNS (`etcd`), and talk to it
//! with `etcdctl` (etcd's v3 API over gRPC).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::images;
use crate::server::Server;
use crate::{Error, Result};

/// The prefix under which the `web` tasks register.
pub const PREFIX: &str = "/services/web/";

/// etcd's client URL on the overlay network, by its service name.
pub const ENDPOINT: &str = "http://etcd:2379";

/// `docker service create` flags for etcd: one task, pinned to server1, on overlay
/// `network`, found by DNS round robin.
pub fn etcd_flags(network: &str) -> String {
    format!(
        "--name etcd --network {network} --endpoint-mode dnsrr --constraint node.hostname==server1"
    )
}

/// etcd's command line: serve clients on every address of the task, tell them `etcd:2379`.
pub const ETCD_COMMAND: [&str; 7] = [
    "etcd",
    "--data-dir",
    "/tmp/etcd",
    "--listen-client-urls",
    "http://0.0.0.0:2379",
    "--advertise-client-urls",
    ENDPOINT,
];

/// The shell script each `web` task runs: serve "hello from HOSTNAME" over HTTP, then take
/// a 5-second lease, register `/services/web/HOSTNAME = IP:80` under it, and keep renewing
/// the lease for as long as the task lives (it is the task's main process). The `sleep 1`
/// retry waits for etcd to be up — the task's own business, as in any real service.
// ANCHOR: register
pub const WEB_SCRIPT: &str = r#"mkdir -p /www && echo "hello from $(hostname)" > /www/index.html
httpd -p 80 -h /www
until lease=$(etcdctl --endpoints=http://etcd:2379 lease grant 5 | awk '{print $2}') \
      && [ -n "$lease" ]; do sleep 1; done
etcdctl --endpoints=http://etcd:2379 put --lease="$lease" \
    "/services/web/$(hostname)" "$(hostname -i):80"
exec etcdctl --endpoints=http://etcd:2379 lease keep-alive "$lease" >/dev/null"#;
// ANCHOR_END: register

/// One event from `etcdctl watch`: `PUT key value` or `DELETE key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `PUT` or `DELETE`.
    pub kind: String,
    /// The key, e.g. `/services/web/server2-web2`.
    pub key: String,
    /// The value of a PUT (`10.0.1.5:80`); empty for a DELETE.
    pub value: String,
}

/// A running `etcdctl watch --prefix /services/web/ --rev 1` in a container on a server:
/// every registration since the store began, then each one as it happens.
pub struct Watcher {
    child: Child,
    lines: Receiver<String>,
    /// Every event seen so far.
    pub events: Vec<Event>,
}

impl Watcher {
    /// Starts the watch in a container named `name` on `server`, attached to `network`.
    pub fn start(server: &Server, network: &str, name: &str) -> Result<Watcher> {
        let etcd = images::etcd();
        let mut child = server
            .docker()
            .args(["run", "--rm", "--name", name, "--network", network, &etcd])
            .args([
                "etcdctl",
                "--endpoints",
                ENDPOINT,
                "watch",
                "--prefix",
                "--rev",
                "1",
                PREFIX,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| Error::Io {
                what: "starting etcdctl watch".into(),
                source,
            })?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Watcher {
            child,
            lines,
            events: Vec::new(),
        })
    }

    /// Reads events until `done` holds for all seen so far, or fails after `limit`.
    pub fn until(
        &mut self,
        what: &str,
        limit: Duration,
        done: impl Fn(&[Event]) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + limit;
        let mut pending: Vec<String> = Vec::new();
        while !done(&self.events) {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).map_err(|_| Error::Timeout {
                what: format!("{what} (events so far: {:?})", self.events),
                seconds: limit.as_secs(),
            })?;
            pending.push(line);
            // An event is three lines: kind, key, value (empty for a DELETE).
            let complete = match pending.first().map(String::as_str) {
                Some("PUT" | "DELETE") => pending.len() == 3,
                _ => {
                    pending.clear();
                    false
                }
            };
            if complete {
                self.events.push(Event {
                    kind: pending[0].clone(),
                    key: pending[1].clone(),
                    value: pending[2].clone(),
                });
                pending.clear();
            }
        }
        Ok(())
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // The container goes with its server (or `docker rm -f NAME`); this is the client.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
