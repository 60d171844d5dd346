//! Step 07: real containers from lesson 01 on a network — a web server and a client that
//! finds it by name.
//!
//! Run: `cargo run -p network --bin 07-containers`
//!
//! Look for: each container is created held back (`namespaces::container::create`), gets its
//! veth while held, and only then starts (pivot_root into its own busybox root, pid 1…). The
//! client's `wget http://web/` resolves `web` through the `/etc/hosts` we wrote into its root
//! filesystem and prints the page served by the other container.
//!
//! Runs in a private host namespace. Man pages: clone(2), pivot_root(2), hosts(5).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, ensure};
use namespaces::container::{ContainerSpec, create};
use namespaces::rootfs::build_busybox_rootfs;
use network::netns::unshare_host;
use network::probe::connect_within;
use network::{NetNs, Networks};
use nix::sys::signal::{Signal, kill};

fn main() -> anyhow::Result<()> {
    unshare_host().context("create this step's private host namespace")?;
    let state = tempfile::tempdir()?;
    let nets = Networks::new(state.path());
    nets.create("app", "app0", "10.89.0.0/24".parse()?)?;

    // ANCHOR: create
    // Two containers, each with a root filesystem of its own (we write /etc/hosts into it).
    let roots = tempfile::tempdir()?;
    let web_root = roots.path().join("web");
    let client_root = roots.path().join("client");
    build_busybox_rootfs(&web_root)?;
    build_busybox_rootfs(&client_root)?;
    std::fs::create_dir_all(web_root.join("www"))?;
    std::fs::write(
        web_root.join("www/index.html"),
        "hello from the web container\n",
    )?;

    let web_spec = spec(&web_root, "web", &["httpd", "-f", "-p", "80", "-h", "/www"]);
    let client_spec = spec(
        &client_root,
        "client",
        &["wget", "-q", "-O", "-", "http://web/"],
    );
    let web = create(&web_spec)?; // cloned into new namespaces, held before setup
    let client = create(&client_spec)?;
    println!(
        "created web (pid {}) and client (pid {}), both held back",
        web.pid(),
        client.pid()
    );
    // ANCHOR_END: create

    // ANCHOR: connect
    let at_web = nets.connect("app", "web", &NetNs::of_pid(web.pid().as_raw() as u32)?)?;
    let at_client = nets.connect(
        "app",
        "client",
        &NetNs::of_pid(client.pid().as_raw() as u32)?,
    )?;
    println!("web: {}   client: {}", at_web.addr, at_client.addr);
    // Both are on the network now: give each root filesystem the network's hosts file.
    let hosts = std::fs::read_to_string(nets.hosts_file("app"))?;
    for root in [&web_root, &client_root] {
        std::fs::write(root.join("etc/hosts"), &hosts)?;
    }
    print!("/etc/hosts in both containers:\n{hosts}");
    // ANCHOR_END: connect

    // ANCHOR: start
    let web = web.start()?;
    // Wait until httpd accepts connections (an event), rather than sleeping and hoping.
    connect_within(SocketAddr::from((at_web.addr, 80)), Duration::from_secs(10))
        .context("web container's httpd never listened on port 80")?;
    println!("(client) $ wget -q -O - http://web/");
    let code = client.start()?.wait()?;
    // ANCHOR_END: start

    kill(web.pid(), Signal::SIGKILL)?;
    web.wait()?;
    nets.remove("app").map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure!(code == 0, "the client's wget failed with exit code {code}");
    println!("client exited 0: it reached web by name");
    Ok(())
}

/// A lesson-01 container spec running `args` in `rootfs` with hostname `name`.
fn spec(rootfs: &Path, name: &str, args: &[&str]) -> ContainerSpec {
    let mut spec = ContainerSpec::new(rootfs, args.iter().map(|a| a.to_string()).collect());
    spec.hostname = name.to_string();
    spec
}
