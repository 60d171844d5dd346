//! Step 05: publish a port — busybox httpd in a container answers on the host's 127.0.0.1:8080.
//!
//! Run: `cargo run -p network --bin 05-publish`
//!
//! Look for: the map `tcp_ports` holding `8080 : 10.88.0.2 . 80`; an HTTP answer from the
//! container on 127.0.0.1:8080 (DNAT in the `output` chain, plus `route_localnet`), and the
//! same answer for a client on the outside machine at 203.0.113.1:8080 (DNAT in `prerouting`).
//!
//! Runs in a private host namespace. Man pages: nft(8) (NAT, maps), ip-sysctl docs
//! (route_localnet), busybox httpd.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, ensure};
use network::netns::unshare_host;
use network::probe::http_get;
use network::uplink::{HOST_ADDR, Uplink};
use network::{Networks, Sandbox};

fn main() -> anyhow::Result<()> {
    unshare_host().context("create this step's private host namespace")?;
    let uplink = Uplink::create("uplink")?;
    let state = tempfile::tempdir()?;
    let nets = Networks::new(state.path());
    nets.create("lab", "lab0", "10.88.0.0/24".parse()?)?;
    let web = Sandbox::start("web", None)?;
    nets.connect("lab", "web", web.netns())?;

    // ANCHOR: httpd
    let root = tempfile::tempdir()?;
    std::fs::write(root.path().join("index.html"), "hello from the container\n")?;
    let root_dir = root.path().to_str().context("utf-8 path")?;
    println!("(web) $ busybox httpd -f -p 80 -h {root_dir}");
    let mut httpd = web
        .command("busybox")
        .args(["httpd", "-f", "-p", "80", "-h", root_dir])
        .spawn()?;
    // ANCHOR_END: httpd

    // ANCHOR: publish
    println!("publish host port 8080 -> web:80");
    nets.publish("lab", "web", 8080, 80)?;
    println!("$ nft list map ip lab tcp_ports");
    for m in nets.firewall().published()? {
        println!("  {} : {} . {}", m.host_port, m.addr, m.port);
    }
    let local: SocketAddr = "127.0.0.1:8080".parse()?;
    let from_host = http_get(local, Duration::from_secs(5)).context("GET 127.0.0.1:8080")?;
    println!("host -> {local}: {}", summary(&from_host));
    let public = SocketAddr::from((HOST_ADDR, 8080));
    let from_outside = uplink
        .outside
        .run(|| http_get(public, Duration::from_secs(5)))??;
    println!("outside -> {public}: {}", summary(&from_outside));
    // ANCHOR_END: publish

    let _ = httpd.kill();
    httpd.wait()?;
    ensure!(
        from_host.contains("hello from the container"),
        "no answer on 127.0.0.1:8080"
    );
    ensure!(
        from_outside.contains("hello from the container"),
        "no answer from outside"
    );
    nets.remove("lab").map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("removed the network: the map entry went with it");
    Ok(())
}

/// "HTTP/1.0 200 OK … hello from the container"
fn summary(response: &str) -> String {
    let status = response.lines().next().unwrap_or("");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").trim();
    format!("{status} … {body}")
}
