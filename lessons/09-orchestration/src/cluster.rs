//! The cluster: a switch, a registry on it, three servers plugged into it — and, once
//! [`Cluster::form_swarm`] has run, a Docker swarm with server1 as its manager.
//!
//! Dropping a [`Cluster`] tears everything down, whatever happened before: first every
//! container and dockerd (all servers at once, so the waits overlap), then the registry,
//! then the switch. Nothing is named globally — namespaces are held by file descriptors,
//! files live in temporary directories, cgroups carry this process's pid — so two clusters
//! never collide and nothing is left to find afterwards.

use std::path::PathBuf;
use std::time::Duration;

use network::NetNs;

use crate::registry::{self, Registry};
use crate::server::Server;
use crate::swarm::{self, Node, Task};
use crate::switch::{Switch, server_addr};
use crate::{Result, images, runtime_binary, wait_for};

/// How many servers the cluster has.
pub const SERVERS: u8 = 3;

/// How long the swarm may take to converge after a change (pulls, heartbeats, scheduling).
pub const CONVERGE: Duration = Duration::from_secs(90);

/// Three servers, their switch and their registry.
pub struct Cluster {
    servers: Vec<Server>,
    registry: Registry,
    switch: Switch,
    runtime: PathBuf,
}

impl Cluster {
    /// Builds the switch, starts the registry on it, plugs in and starts three servers (their
    /// dockerds start side by side), and pushes the lesson's images.
    pub fn start() -> Result<Cluster> {
        let runtime = runtime_binary()?;
        let switch = Switch::new()?;
        let registry = Registry::start(&switch)?;
        let mut netns = Vec::new();
        for n in 1..=SERVERS {
            let ns = NetNs::new()?;
            switch.plug(&format!("server{n}"), &ns, server_addr(n))?;
            netns.push(ns);
        }
        let registry_addr = registry::address().to_string();
        let started: Vec<Result<Server>> = std::thread::scope(|s| {
            let handles: Vec<_> = (1..=SERVERS)
                .zip(netns)
                .map(|(n, ns)| {
                    let (runtime, registry_addr) = (&runtime, &registry_addr);
                    s.spawn(move || Server::start(n, ns, runtime, registry_addr))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Collect every server that started before reporting a failure: those are stopped
        // by their own Drop on the way out.
        let mut servers = Vec::new();
        let mut failure = None;
        for result in started {
            match result {
                Ok(server) => servers.push(server),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        let cluster = Cluster {
            servers,
            registry,
            switch,
            runtime,
        };
        if let Some(e) = failure {
            return Err(e);
        }
        images::push_all(cluster.manager())?;
        Ok(cluster)
    }

    /// Server `n` (1 to 3).
    pub fn server(&self, n: u8) -> &Server {
        &self.servers[usize::from(n) - 1]
    }

    /// All three servers.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// The server whose hostname is `hostname`.
    pub fn server_named(&self, hostname: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.hostname() == hostname)
    }

    /// The swarm's manager, server1.
    pub fn manager(&self) -> &Server {
        self.server(1)
    }

    /// The switch (to pull a server's cable out and plug it back in).
    pub fn switch(&self) -> &Switch {
        &self.switch
    }

    /// The registry's pid.
    pub fn registry_pid(&self) -> u32 {
        self.registry.pid()
    }

    /// The `capstone-runtime` binary every dockerd uses.
    pub fn runtime(&self) -> &PathBuf {
        &self.runtime
    }

    /// `docker swarm init` on server1, `docker swarm join` on servers 2 and 3; returns once
    /// the manager lists all three nodes as Ready. Heartbeats every second (instead of 5 s),
    /// so that a node cut off is declared Down within seconds.
    pub fn form_swarm(&self) -> Result<Vec<Node>> {
        let addr = server_addr(1).to_string();
        self.manager().docker_ok(&[
            "swarm",
            "init",
            "--advertise-addr",
            &addr,
            "--listen-addr",
            &format!("{addr}:2377"),
            "--dispatcher-heartbeat",
            "1s",
        ])?;
        let token = self
            .manager()
            .docker_ok(&["swarm", "join-token", "--quiet", "worker"])?;
        for n in 2..=SERVERS {
            let own = server_addr(n).to_string();
            self.server(n).docker_ok(&[
                "swarm",
                "join",
                "--advertise-addr",
                &own,
                "--token",
                token.trim(),
                &format!("{addr}:2377"),
            ])?;
        }
        self.wait_nodes("all three nodes Ready", |nodes| {
            nodes.len() == usize::from(SERVERS) && nodes.iter().all(|n| n.status == "Ready")
        })
    }

    /// Polls `docker node ls` until `done` holds.
    pub fn wait_nodes(&self, what: &str, done: impl Fn(&[Node]) -> bool) -> Result<Vec<Node>> {
        wait_for(what, CONVERGE, || {
            let nodes = swarm::nodes(self.manager())?;
            Ok(done(&nodes).then_some(nodes))
        })
    }

    /// Polls `docker service ps SERVICE` until `done` holds for its tasks.
    pub fn wait_tasks(
        &self,
        service: &str,
        what: &str,
        done: impl Fn(&[Task]) -> bool,
    ) -> Result<Vec<Task>> {
        wait_for(what, CONVERGE, || {
            let tasks = swarm::tasks(self.manager(), service)?;
            Ok(done(&tasks).then_some(tasks))
        })
    }

    /// Waits until `service` has exactly `replicas` running tasks, and returns them.
    pub fn wait_running(&self, service: &str, replicas: usize) -> Result<Vec<Task>> {
        let what = format!("{replicas} running tasks of {service}");
        let tasks = self.wait_tasks(service, &what, |tasks| {
            tasks.iter().filter(|t| t.is_running()).count() == replicas
        })?;
        Ok(tasks.into_iter().filter(Task::is_running).collect())
    }

    /// `docker service create --detach ARGS` on the manager.
    pub fn create_service(&self, args: &[&str]) -> Result<()> {
        let mut all = vec!["service", "create", "--detach"];
        all.extend_from_slice(args);
        self.manager().docker_ok(&all).map(drop)
    }

    /// `docker network create --driver overlay --attachable NAME` on the manager: one
    /// network across every server (VXLAN underneath), which plain containers may join too.
    pub fn create_overlay(&self, name: &str) -> Result<()> {
        let args = [
            "network",
            "create",
            "--driver",
            "overlay",
            "--attachable",
            name,
        ];
        self.manager().docker_ok(&args).map(drop)
    }

    /// `docker service create --detach FLAGS IMAGE COMMAND…` on the manager, the flags
    /// written as on the command line (split at whitespace).
    pub fn service(&self, flags: &str, image: &str, command: &[&str]) -> Result<()> {
        let mut args: Vec<&str> = flags.split_whitespace().collect();
        args.push(image);
        args.extend_from_slice(command);
        self.create_service(&args)
    }

    /// A service `name` of `replicas` tasks on the overlay `network`, each running
    /// `sh -c SCRIPT` in `image`, each task's hostname `NODE-NAMESLOT` (e.g. `server2-web1`),
    /// found by DNS round robin (`--endpoint-mode dnsrr`: the name answers every task's own
    /// address, as this kernel has no IPVS for a virtual IP).
    pub fn create_dnsrr_service(
        &self,
        name: &str,
        replicas: u32,
        network: &str,
        image: &str,
        script: &str,
    ) -> Result<()> {
        let flags = format!(
            "--name {name} --replicas {replicas} --network {network} --endpoint-mode dnsrr \
             --hostname {{{{.Node.Hostname}}}}-{name}{{{{.Task.Slot}}}}"
        );
        self.service(&flags, image, &["sh", "-c", script])
    }

    /// Runs `script` with busybox's `sh` in a throwaway container on server `n`, attached
    /// to the overlay `network`; returns what it printed.
    pub fn client(&self, n: u8, network: &str, script: &str) -> Result<String> {
        let busybox = images::busybox();
        let args = [
            "run",
            "--rm",
            "--network",
            network,
            &busybox,
            "sh",
            "-c",
            script,
        ];
        self.server(n).docker_ok(&args)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for server in &self.servers {
            server.begin_stop();
        }
        for server in &mut self.servers {
            server.finish_stop();
        }
        self.servers.clear();
        // Then the registry and the switch, by their own Drop (field order).
    }
}
