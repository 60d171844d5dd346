//! Step 03: two containers on a bridge ping each other.
//!
//! Run: `cargo run -p network --bin 03-bridge`
//!
//! Look for: the bridge `lab0` with address 10.88.0.1/24; one veth per container plugged
//! into it (`master lab0`); container `a` (10.88.0.2) pings container `b` (10.88.0.3)
//! through the bridge, which switches frames between its ports like a physical switch.
//!
//! Runs in a private host namespace. Man pages: ip-link(8) (type bridge), bridge(8), veth(4).

use anyhow::{Context, ensure};
use network::netns::unshare_host;
use network::{Networks, Sandbox};

fn main() -> anyhow::Result<()> {
    unshare_host().context("create this step's private host namespace")?;
    let state = tempfile::tempdir()?; // this run's address leases
    let nets = Networks::new(state.path());

    // ANCHOR: bridge
    println!(
        "$ ip link add lab0 type bridge && ip addr add 10.88.0.1/24 dev lab0 && ip link set lab0 up"
    );
    nets.create("lab", "lab0", "10.88.0.0/24".parse()?)?;
    let a = Sandbox::start("a", None)?;
    let b = Sandbox::start("b", None)?;
    let at_a = nets.connect("lab", "a", a.netns())?;
    let at_b = nets.connect("lab", "b", b.netns())?;
    println!(
        "container a: eth0 {} (host end {})",
        at_a.addr, at_a.host_veth
    );
    println!(
        "container b: eth0 {} (host end {})",
        at_b.addr, at_b.host_veth
    );
    // ANCHOR_END: bridge

    println!("host links (ip -br link):");
    let links = network::netlink::Netlink::open()?.links()?;
    for link in &links {
        let master = link
            .master
            .and_then(|m| links.iter().find(|l| l.index == m));
        let master = master
            .map(|m| format!(" master {}", m.name))
            .unwrap_or_default();
        println!("  {}{master}", link.name);
    }

    // ANCHOR: ping
    let target = at_b.addr.to_string();
    println!("a -> b: busybox ping -c 1 {target}");
    let ping = a
        .command("busybox")
        .args(["ping", "-c", "1", "-W", "5", &target])
        .status()?;
    // ANCHOR_END: ping
    ensure!(ping.success(), "a could not ping b across the bridge");

    nets.remove("lab").map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("removed the network: bridge, veth pairs and leases are gone");
    Ok(())
}
