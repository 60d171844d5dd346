//! Step 04: clustering — one virtual network across three servers.
//!
//! Run: `cargo run -p orchestration --bin 04-overlay`
//!
//! Look for: `docker network create --driver overlay` on the manager; on server1, in the
//! namespace dockerd made for that network, a `vxlan` device (VNI, UDP port 4789) whose
//! forwarding entries name 10.9.0.2 and 10.9.0.3 — the other servers — as tunnel endpoints;
//! then a client container on server1 fetching a page from the web task on every server.
//! Last, a port published in `mode=host` on server2 answers on server2's own address,
//! 10.9.0.2:8080, seen from the switch (the routing mesh's `ingress` mode needs IPVS).
//! Man pages: ip-link(8) (vxlan), bridge(8) (fdb); RFC 7348.

use orchestration::{Cluster, images, overlay, swarm};

fn main() -> anyhow::Result<()> {
    let cluster = Cluster::start()?;
    cluster.form_swarm()?;
    // ANCHOR: overlay
    println!("$ docker network create --driver overlay --attachable lab");
    cluster.create_overlay("lab")?;
    let busybox = images::busybox();
    let serve = r#"mkdir /www; echo "hello from $(hostname)" > /www/index.html; exec httpd -f -p 80 -h /www"#;
    println!(
        "$ docker service create --name web --replicas 3 --network lab --endpoint-mode dnsrr …"
    );
    cluster.create_dnsrr_service("web", 3, "lab", &busybox, serve)?;
    // ANCHOR_END: overlay
    let tasks = cluster.wait_running("web", 3)?;
    print!("{}", swarm::table(&tasks));
    let mut addresses = Vec::new();
    for task in &tasks {
        let inspected = swarm::inspect_task(cluster.manager(), &task.id)?;
        let ip = swarm::addresses_on(&inspected, "lab").remove(0);
        println!("  {} on {} has {ip} on lab", task.name, task.node);
        addresses.push(ip);
    }
    println!("on server1, inside dockerd's namespaces:");
    print!("{}", overlay::vxlan_view(cluster.manager())?);
    println!("a client container on server1 fetches from every task:");
    let script = format!(
        "for ip in {}; do echo \"$ip: $(timeout 5 wget -qO- http://$ip/index.html)\"; done",
        addresses.join(" ")
    );
    print!("{}", cluster.client(1, "lab", &script)?);

    // ANCHOR: publish
    println!(
        "$ docker service create --name front --network lab --publish mode=host,target=80,published=8080 …"
    );
    let flags = "--name front --network lab --publish mode=host,target=80,published=8080 --constraint node.hostname==server2";
    cluster.service(flags, &busybox, &["sh", "-c", serve])?;
    cluster.wait_running("front", 1)?;
    let server2 = std::net::SocketAddr::from((orchestration::switch::server_addr(2), 8080));
    let page = cluster
        .switch()
        .netns()
        .run(|| network::probe::http_get(server2, std::time::Duration::from_secs(10)))??;
    println!(
        "from the switch, http://{server2}/ answers: {}",
        page.lines().last().unwrap_or_default()
    );
    // ANCHOR_END: publish
    Ok(())
}
