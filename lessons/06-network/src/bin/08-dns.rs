//! Step 08: names from a tiny DNS server instead of a hosts file.
//!
//! Run: `cargo run -p network --bin 08-dns`
//!
//! Look for: the client container is connected and its root filesystem prepared *before* the
//! web container exists, so its `/etc/hosts` knows nothing of `web`; its `/etc/resolv.conf`
//! names our responder on the gateway (10.89.0.1:53), which looks `web` up in IPAM at query
//! time. `nslookup` shows the answer; `wget http://web/` fetches the page.
//!
//! Runs in a private host namespace. Man pages: resolv.conf(5); RFC 1035 §4.1 (the message).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, ensure};
use namespaces::container::{ContainerSpec, create};
use namespaces::rootfs::build_busybox_rootfs;
use network::dns::Responder;
use network::netns::unshare_host;
use network::probe::connect_within;
use network::{NetNs, Networks};
use nix::sys::signal::{Signal, kill};

fn main() -> anyhow::Result<()> {
    unshare_host().context("create this step's private host namespace")?;
    let state = tempfile::tempdir()?;
    let nets = Networks::new(state.path());
    let subnet: network::Subnet = "10.89.0.0/24".parse()?;
    nets.create("app", "app0", subnet)?;

    // ANCHOR: dns
    let _dns = Responder::start(nets.ipam().clone(), "app", subnet.gateway())?;
    println!(
        "dns: answering names of network \"app\" on udp {}:53",
        subnet.gateway()
    );

    // The client first: its root knows the DNS server, and no container names at all.
    let roots = tempfile::tempdir()?;
    let client_root = roots.path().join("client");
    build_busybox_rootfs(&client_root)?;
    std::fs::write(
        client_root.join("etc/resolv.conf"),
        format!("nameserver {}\n", subnet.gateway()),
    )?;
    std::fs::write(client_root.join("etc/hosts"), "127.0.0.1\tlocalhost\n")?;
    let script = "nslookup web && wget -q -O - http://web/";
    let client = create(&spec(&client_root, "client", &["sh", "-c", script]))?;
    nets.connect(
        "app",
        "client",
        &NetNs::of_pid(client.pid().as_raw() as u32)?,
    )?;
    // ANCHOR_END: dns

    // ANCHOR: web
    // Then the web container, which the client's files have never heard of.
    let web_root = roots.path().join("web");
    build_busybox_rootfs(&web_root)?;
    std::fs::create_dir_all(web_root.join("www"))?;
    std::fs::write(
        web_root.join("www/index.html"),
        "hello, found through DNS\n",
    )?;
    let web = create(&spec(
        &web_root,
        "web",
        &["httpd", "-f", "-p", "80", "-h", "/www"],
    ))?;
    let at_web = nets.connect("app", "web", &NetNs::of_pid(web.pid().as_raw() as u32)?)?;
    let web = web.start()?;
    connect_within(SocketAddr::from((at_web.addr, 80)), Duration::from_secs(10))
        .context("web container's httpd never listened on port 80")?;
    println!("web is up at {}; (client) $ {script}", at_web.addr);
    let code = client.start()?.wait()?;
    // ANCHOR_END: web

    kill(web.pid(), Signal::SIGKILL)?;
    web.wait()?;
    nets.remove("app").map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure!(code == 0, "the client failed with exit code {code}");
    println!("client exited 0: DNS told it where web is");
    Ok(())
}

/// A lesson-01 container spec running `args` in `rootfs` with hostname `name`.
fn spec(rootfs: &Path, name: &str, args: &[&str]) -> ContainerSpec {
    let mut spec = ContainerSpec::new(rootfs, args.iter().map(|a| a.to_string()).collect());
    spec.hostname = name.to_string();
    spec
}
