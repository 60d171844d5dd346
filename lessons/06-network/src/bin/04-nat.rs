//! Step 04: a default route and NAT take a container's traffic to the outside.
//!
//! Run: `cargo run -p network --bin 04-nat`
//!
//! Look for: inside the container, `default via 10.88.0.1`; on the host, `ip_forward = 1`
//! and a `masquerade` rule; the outside machine sees the connection coming from the host's
//! address 203.0.113.1, not from the container's 10.88.0.2 — which it could not answer.
//!
//! Runs in a private host namespace; "outside" is one more namespace (see `uplink.rs`).
//! Man pages: ip-route(8), nft(8) (NAT statements), proc(5) (/proc/sys/net/ipv4/ip_forward).

use std::net::TcpListener;
use std::os::fd::AsFd;

use anyhow::{Context, bail, ensure};
use network::netlink::Netlink;
use network::netns::unshare_host;
use network::uplink::{OUTSIDE_ADDR, Uplink};
use network::{Networks, Sandbox};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

fn main() -> anyhow::Result<()> {
    unshare_host().context("create this step's private host namespace")?;
    let uplink = Uplink::create("uplink")?;
    let state = tempfile::tempdir()?;
    let nets = Networks::new(state.path());
    nets.create("lab", "lab0", "10.88.0.0/24".parse()?)?;
    let a = Sandbox::start("a", None)?;
    let at = nets.connect("lab", "a", a.netns())?;

    // ANCHOR: evidence
    println!("inside a (ip -4 route):");
    for r in Netlink::open_in(a.netns())?.routes()? {
        match r.gateway {
            Some(gw) => println!("  default via {gw}"),
            None => println!("  {}/{} dev eth0 (connected)", r.destination, r.prefix),
        }
    }
    let forward = std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward")?;
    println!("host: net.ipv4.ip_forward = {}", forward.trim());
    println!(
        "host: nft list table ip lab\n{}",
        nets.firewall().ruleset()?
    );
    // ANCHOR_END: evidence

    // ANCHOR: connect
    // A TCP listener opened from inside the outside namespace stays there.
    let listener = uplink
        .outside
        .run(|| TcpListener::bind((OUTSIDE_ADDR, 9000)))??;
    println!("a -> outside: busybox nc {OUTSIDE_ADDR} 9000");
    let mut nc = a
        .command("busybox")
        .args(["nc", &OUTSIDE_ADDR.to_string(), "9000"])
        .spawn()?;
    // Wait (up to 5 s) for the connection to arrive: an event on the listening socket.
    let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
    if poll(&mut fds, PollTimeout::from(5000u16))? == 0 {
        let _ = nc.kill();
        bail!("no connection reached the outside within 5 s");
    }
    let (conn, peer) = listener.accept()?;
    println!(
        "outside: connection from {} (the container is {})",
        peer.ip(),
        at.addr
    );
    drop(conn); // closing our side lets nc exit
    nc.wait()?;
    // ANCHOR_END: connect
    ensure!(
        peer.ip().to_string() == "203.0.113.1",
        "masquerade should hide the container's address"
    );
    println!("masquerade rewrote the source to the host's address on the way out");
    nets.remove("lab").map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
