//! Step 02: scheduling — where does each replica go?
//!
//! Run: `cargo run -p orchestration --bin 02-scheduling`
//!
//! Look for: three replicas land one per server (swarm's "spread" strategy); a service
//! reserving 64 CPUs stays Pending with "insufficient resources on 3 nodes"; a
//! `node.hostname==server2` constraint puts all three replicas on server2. Each task's
//! container runs under `capstone-runtime`: dockerd says so, and so does our runtime's own
//! state. Reference: `docker service create --help` (--replicas, --reserve-cpu,
//! --constraint).

use orchestration::{Cluster, images, swarm};

fn main() -> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    cluster.form_swarm()?;
    let busybox = images::busybox();

    // ANCHOR: spread
    println!("$ docker service create --name spread --replicas 3 busybox sleep 3600");
    cluster.service("--name spread --replicas 3", &busybox, &["sleep", "3600"])?;
    let spread = cluster.wait_running("spread", 3)?;
    print!("{}", swarm::table(&spread));
    // ANCHOR_END: spread
    for task in &spread {
        let e = cluster.runtime_evidence(task)?;
        println!(
            "  {} on {}: HostConfig.Runtime={}, capstone-runtime state: {} (pid {})",
            task.name, e.node, e.runtime_name, e.runtime_status, e.runtime_pid
        );
    }

    println!("$ docker service create --name greedy --reserve-cpu 64 busybox sleep 3600");
    cluster.service(
        "--name greedy --reserve-cpu 64",
        &busybox,
        &["sleep", "3600"],
    )?;
    let greedy = cluster.wait_tasks("greedy", "a Pending task", |tasks| {
        tasks
            .iter()
            .any(|t| t.state() == "Pending" && !t.error.is_empty())
    })?;
    print!("{}", swarm::table(&greedy));

    println!(
        "$ docker service create --name pinned --replicas 3 --constraint node.hostname==server2 …"
    );
    let pin = "--name pinned --replicas 3 --constraint node.hostname==server2";
    cluster.service(pin, &busybox, &["sleep", "3600"])?;
    print!("{}", swarm::table(&cluster.wait_running("pinned", 3)?));
    Ok(())
}
