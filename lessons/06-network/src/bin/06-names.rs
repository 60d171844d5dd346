//! Step 06: on a user-defined network, container `a` reaches container `b` by name.
//!
//! Run: `cargo run -p network --bin 06-names`
//!
//! Look for: `/etc/hosts` inside `a` lists `b` (the network's hosts file, bind-mounted the
//! way Docker bind-mounts its own); `ping b` resolves to b's address and is answered. The
//! file is rewritten in place whenever a container joins or leaves, so every member sees it.
//!
//! Runs in a private host namespace. Man pages: hosts(5), mount(8) (bind), nsswitch.conf(5).

use anyhow::{Context, ensure};
use network::netns::unshare_host;
use network::{Networks, Sandbox};

fn main() -> anyhow::Result<()> {
    unshare_host().context("create this step's private host namespace")?;
    let state = tempfile::tempdir()?;
    let nets = Networks::new(state.path());
    nets.create("app", "app0", "10.89.0.0/24".parse()?)?;

    // ANCHOR: names
    let hosts = nets.hosts_file("app");
    let a = Sandbox::start("a", Some(&hosts))?;
    let b = Sandbox::start("b", Some(&hosts))?;
    nets.connect("app", "a", a.netns())?;
    let at_b = nets.connect("app", "b", b.netns())?;
    let seen = a.command("busybox").args(["cat", "/etc/hosts"]).output()?;
    println!(
        "(a) $ cat /etc/hosts\n{}",
        String::from_utf8_lossy(&seen.stdout)
    );
    println!("(a) $ ping -c 1 b");
    let ping = a
        .command("busybox")
        .args(["ping", "-c", "1", "-W", "5", "b"])
        .output()?;
    print!("{}", String::from_utf8_lossy(&ping.stdout));
    // ANCHOR_END: names

    let expected = format!("PING b ({})", at_b.addr);
    ensure!(ping.status.success(), "a could not ping b by name");
    ensure!(
        String::from_utf8_lossy(&ping.stdout).contains(&expected),
        "b resolved to the wrong address"
    );
    nets.remove("app").map_err(|e| anyhow::anyhow!("{e}"))?;
    drop((a, b));
    println!("a found b by name: {expected}");
    Ok(())
}
