//! Step 06: service discovery with a key-value store — etcd, leases and a watch.
//!
//! Run: `cargo run -p orchestration --bin 06-etcd`
//!
//! Look for: etcd runs as a swarm service on server1; each `web` task, wherever it was
//! placed, registers `/services/web/HOSTNAME = IP:80` under a 5-second lease it keeps
//! renewing; a watcher on server2 prints each PUT as it comes. Scale web down to 2: the
//! removed task stops renewing its lease, and 5 seconds later the watcher sees a DELETE.
//! Reference: `etcdctl lease --help`, `etcdctl watch --help`.

use std::time::Duration;

use orchestration::discovery::{self, Watcher};
use orchestration::{Cluster, images};

fn main() -> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    cluster.form_swarm()?;
    cluster.create_overlay("lab")?;
    println!("$ docker service create --name etcd … etcd --listen-client-urls http://0.0.0.0:2379");
    let image = images::etcd();
    cluster.service(
        &discovery::etcd_flags("lab"),
        &image,
        &discovery::ETCD_COMMAND,
    )?;
    println!("each web task runs:\n{}", discovery::WEB_SCRIPT);
    cluster.create_dnsrr_service("web", 3, "lab", &image, discovery::WEB_SCRIPT)?;
    // ANCHOR: watch
    println!(
        "(on server2) $ etcdctl watch --prefix --rev 1 {}",
        discovery::PREFIX
    );
    let mut watcher = Watcher::start(cluster.server(2), "lab", "watcher")?;
    watcher.until("three registrations", Duration::from_secs(90), |events| {
        events.iter().filter(|e| e.kind == "PUT").count() >= 3
    })?;
    // ANCHOR_END: watch
    for e in &watcher.events {
        println!("  {} {} {}", e.kind, e.key, e.value);
    }
    println!("$ docker service scale web=2");
    cluster
        .manager()
        .docker_ok(&["service", "scale", "--detach", "web=2"])?;
    watcher.until(
        "a registration expiring",
        Duration::from_secs(60),
        |events| events.iter().any(|e| e.kind == "DELETE"),
    )?;
    for e in watcher.events.iter().filter(|e| e.kind == "DELETE") {
        println!("  {} {}  (its lease ran out)", e.kind, e.key);
    }
    Ok(())
}
