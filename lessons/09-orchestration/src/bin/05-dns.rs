//! Step 05: service discovery by DNS — swarm's own resolver, in `dnsrr` mode.
//!
//! Run: `cargo run -p orchestration --bin 05-dns`
//!
//! Look for: inside a container on the overlay, the resolver is 127.0.0.11 (dockerd's
//! embedded DNS); `tasks.web` and `web` both answer with one A record per task, on every
//! server; scale the service to 5 and the answer grows to five. With the default endpoint
//! mode (`vip`) `web` would answer one virtual IP, load-balanced by IPVS in the kernel —
//! which this kernel lacks, so that address would carry no traffic: see the chapter.

use orchestration::{Cluster, images};

fn main() -> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    cluster.form_swarm()?;
    cluster.manager().docker_ok(&[
        "network",
        "create",
        "--driver",
        "overlay",
        "--attachable",
        "lab",
    ])?;
    let busybox = images::busybox();
    cluster.create_service(&[
        "--name",
        "web",
        "--replicas",
        "3",
        "--network",
        "lab",
        "--endpoint-mode",
        "dnsrr",
        &busybox,
        "sleep",
        "3600",
    ])?;
    cluster.wait_running("web", 3)?;
    // ANCHOR: lookup
    let lookup = "grep nameserver /etc/resolv.conf; nslookup tasks.web; nslookup web";
    println!("(client on server3) $ {lookup}");
    print!("{}", cluster.client(3, "lab", lookup)?);
    // ANCHOR_END: lookup
    println!("$ docker service scale web=5");
    cluster
        .manager()
        .docker_ok(&["service", "scale", "--detach", "web=5"])?;
    cluster.wait_running("web", 5)?;
    print!(
        "{}",
        cluster.client(
            3,
            "lab",
            "nslookup tasks.web | grep -c '^Address: [0-9.]*$'"
        )?
    );
    println!("(the count above is the number of A records for tasks.web)");
    Ok(())
}
