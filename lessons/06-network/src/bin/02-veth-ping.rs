//! Step 02: a veth pair is a virtual cable; move one end into a namespace and ping across.
//!
//! Run: `cargo run -p network --bin 02-veth-ping`
//!
//! Look for: after the move, `veth-ctr` is gone from the host and present inside the
//! container's namespace; pings succeed in both directions over 10.200.0.0/24.
//!
//! This step first moves itself into a private "host" namespace, so nothing here touches
//! your machine's network. Man pages: veth(4), ip-link(8), ip-address(8), ping(8).

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, ensure};
use network::NetNs;
use network::netlink::Netlink;
use network::netns::unshare_host;

fn main() -> anyhow::Result<()> {
    let host = unshare_host().context("create this step's private host namespace")?;
    println!(
        "host: this step runs in its own namespace net:[{}]",
        host.inode()
    );
    let container = NetNs::new()?;
    println!("container: a second namespace net:[{}]", container.inode());

    // ANCHOR: veth
    let mut nl = Netlink::open()?; // talks to the host namespace
    println!("$ ip link add veth-host type veth peer name veth-ctr");
    nl.add_veth("veth-host", "veth-ctr", None)?;
    println!("$ ip link set veth-ctr netns <container>");
    let ctr_end = nl.link("veth-ctr")?;
    nl.move_to(ctr_end.index, &container)?;
    println!("host now has: {:?}", names(&mut nl)?);
    let mut inside = Netlink::open_in(&container)?; // talks to the container namespace
    println!("container now has: {:?}", names(&mut inside)?);
    // ANCHOR_END: veth

    // ANCHOR: address
    println!("$ ip addr add 10.200.0.1/24 dev veth-host && ip link set veth-host up");
    let host_end = nl.link("veth-host")?;
    nl.add_address(host_end.index, "10.200.0.1".parse()?, 24)?;
    nl.set_up(host_end.index)?;
    println!("(container) $ ip addr add 10.200.0.2/24 dev veth-ctr && ip link set veth-ctr up");
    let ctr_end = inside.link("veth-ctr")?;
    inside.add_address(ctr_end.index, "10.200.0.2".parse()?, 24)?;
    inside.set_up(ctr_end.index)?;
    // "up" takes effect a moment later; wait for the kernel's event saying the link runs.
    nl.wait_running("veth-host", Duration::from_secs(5))?;
    inside.wait_running("veth-ctr", Duration::from_secs(5))?;
    // ANCHOR_END: address

    // ANCHOR: ping
    println!("host -> container: busybox ping -c 1 10.200.0.2");
    let there = Command::new("busybox")
        .args(["ping", "-c", "1", "-W", "5", "10.200.0.2"])
        .status()?;
    println!("container -> host: busybox ping -c 1 10.200.0.1 (setns into the container first)");
    let back = container
        .command("busybox")
        .args(["ping", "-c", "1", "-W", "5", "10.200.0.1"])
        .status()?;
    // ANCHOR_END: ping
    ensure!(
        there.success() && back.success(),
        "ping across the veth pair failed"
    );
    println!("both pings answered: the cable works");
    Ok(())
}

fn names(nl: &mut Netlink) -> anyhow::Result<Vec<String>> {
    Ok(nl.links()?.into_iter().map(|l| l.name).collect())
}
