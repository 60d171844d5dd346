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
    cluster.create_overlay("lab")?;
    let busybox = images::busybox();
    cluster.create_dnsrr_service("web", 3, "lab", &busybox, "sleep 3600")?;
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

    // ANCHOR: vip
    println!(
        "$ docker service create --name vipweb --network lab (default endpoint mode: vip) … httpd"
    );
    let serve = r#"echo hello > /tmp/index.html; exec httpd -f -p 80 -h /tmp"#;
    cluster.service(
        "--name vipweb --network lab",
        &busybox,
        &["sh", "-c", serve],
    )?;
    cluster.wait_running("vipweb", 1)?;
    let vip = cluster.manager().docker_ok(&[
        "service",
        "inspect",
        "--format",
        "{{range .Endpoint.VirtualIPs}}{{.Addr}} {{end}}",
        "vipweb",
    ])?;
    println!("its virtual IP(s): {}", vip.trim());
    let probe = r#"nslookup vipweb | sed -n 's/^Address: \([0-9.]*\)$/vipweb resolves to \1/p'
ip=$(nslookup tasks.vipweb | sed -n 's/^Address: \([0-9.]*\)$/\1/p')
echo "its task, $ip, answers: $(timeout 5 wget -qO- http://$ip/index.html)"
echo "the VIP answers: $(timeout 5 wget -qO- http://vipweb/index.html || echo nothing)""#;
    print!("{}", cluster.client(3, "lab", probe)?);
    // ANCHOR_END: vip
    Ok(())
}
