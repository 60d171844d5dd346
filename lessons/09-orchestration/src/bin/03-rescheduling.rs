//! Step 03: rescheduling — a server drained, a server cut off, a server back.
//!
//! Run: `cargo run -p orchestration --bin 03-rescheduling`
//!
//! Look for: after `docker node update --availability drain server2`, server2's replica is
//! shut down and started elsewhere; after server3's cable is pulled (`ip link set server3
//! down` on the switch) the manager marks server3 Down within seconds (heartbeats every 1 s)
//! and starts its replica on another server; when the cable is back, server3 is Ready again
//! and the container it kept running while cut off is stopped: no orphan is left.

use std::time::{Duration, Instant};

use orchestration::{Cluster, images, swarm};

fn main() -> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    cluster.form_swarm()?;
    let busybox = images::busybox();
    cluster.service("--name spread --replicas 3", &busybox, &["sleep", "3600"])?;
    print!("{}", swarm::table(&cluster.wait_running("spread", 3)?));

    println!("$ docker node update --availability drain server2");
    cluster
        .manager()
        .docker_ok(&["node", "update", "--availability", "drain", "server2"])?;
    let tasks = cluster.wait_tasks("spread", "no task on server2", |tasks| {
        tasks
            .iter()
            .filter(|t| t.is_running() && t.node != "server2")
            .count()
            == 3
    })?;
    print!("{}", swarm::table(&tasks));
    cluster
        .manager()
        .docker_ok(&["node", "update", "--availability", "active", "server2"])?;

    // ANCHOR: cut
    println!("$ ip link set server3 down   (on the switch: server3's cable is out)");
    let pulled = Instant::now();
    cluster.switch().set_cable("server3", false)?;
    let nodes = cluster.wait_nodes("server3 Down", |nodes| {
        nodes
            .iter()
            .any(|n| n.hostname == "server3" && n.status == "Down")
    })?;
    // ANCHOR_END: cut
    let down_after = pulled.elapsed();
    for n in &nodes {
        println!("  {:8} {}", n.hostname, n.status);
    }
    let tasks = cluster.wait_tasks("spread", "3 tasks off server3", |tasks| {
        tasks
            .iter()
            .filter(|t| t.is_running() && t.node != "server3")
            .count()
            == 3
    })?;
    let moved_after = pulled.elapsed();
    print!("{}", swarm::table(&tasks));
    println!(
        "cable out → server3 Down: {:.1} s; → its tasks running elsewhere: {:.1} s",
        down_after.as_secs_f64(),
        moved_after.as_secs_f64()
    );
    let cut_off = cluster
        .server(3)
        .docker_ok(&["ps", "--format", "{{.Names}} {{.Status}}"])?;
    println!("server3, cut off, still runs:\n{cut_off}");

    println!("$ ip link set server3 up");
    let plugged = Instant::now();
    cluster.switch().set_cable("server3", true)?;
    cluster.wait_nodes("server3 Ready", |nodes| {
        nodes.iter().all(|n| n.status == "Ready")
    })?;
    orchestration::wait_for(
        "server3 to stop its old task",
        Duration::from_secs(60),
        || {
            let left = cluster.server(3).docker_ok(&["ps", "-q"])?;
            Ok(left.trim().is_empty().then_some(()))
        },
    )?;
    println!(
        "server3 is Ready again and runs no container of the old task ({:.1} s after the cable went back)",
        plugged.elapsed().as_secs_f64()
    );
    Ok(())
}
