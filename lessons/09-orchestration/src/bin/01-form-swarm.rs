//! Step 01: three servers, one switch, one registry — and a swarm formed over them.
//!
//! Run: `cargo build -p capstone --bin capstone-runtime && cargo run -p orchestration --bin 01-form-swarm`
//!
//! Look for: each server has its own hostname and address, yet they all share this one
//! kernel; each dockerd's default runtime is `capstone`; after `swarm init` and two
//! `swarm join`s, the manager lists three Ready nodes, server1 the Leader. Everything is
//! torn down when the step ends. Man pages: network_namespaces(7), uts_namespaces(7),
//! dockerd(8); `docker swarm init --help`.

use orchestration::Cluster;

fn main() -> anyhow::Result<()> {
    println!("building the switch, the registry and three servers …");
    let cluster = Cluster::start()?;
    for server in cluster.servers() {
        let seen = server
            .nsenter("sh")
            .args(["-c", "hostname; ip -4 -o addr show eth0"])
            .output()?;
        let info =
            server.docker_ok(&["info", "--format", "{{.Name}} runtime={{.DefaultRuntime}}"])?;
        println!(
            "{}: pid {}; inside: {}; dockerd: {}",
            server.hostname(),
            server.daemon_pid().unwrap_or_default(),
            String::from_utf8_lossy(&seen.stdout)
                .split_whitespace()
                .take(5)
                .collect::<Vec<_>>()
                .join(" "),
            info.trim()
        );
    }
    // ANCHOR: form
    println!("$ docker swarm init (server1); docker swarm join (server2, server3)");
    let nodes = cluster.form_swarm()?;
    // ANCHOR_END: form
    println!("$ docker node ls (on the manager)");
    for node in nodes {
        println!(
            "  {:8} {:6} {:7} {}",
            node.hostname, node.status, node.availability, node.manager_status
        );
    }
    println!("tearing the cluster down");
    Ok(())
}
