//! Step 01: a new network namespace is empty — only a `lo` that is down.
//!
//! Run: `cargo run -p network --bin 01-empty-netns`
//!
//! Look for: this program's own namespace lists the machine's interfaces; the new one lists
//! only `lo`, DOWN, with no address and no route. Reading the machine's interface list is
//! the only thing this step does outside its own namespace, and it only reads.
//!
//! Man pages: network_namespaces(7), unshare(2), rtnetlink(7).

use anyhow::Context;
use network::NetNs;
use network::netlink::Netlink;

fn main() -> anyhow::Result<()> {
    // ANCHOR: outside
    let outside = NetNs::current()?;
    let links = Netlink::open()?.links()?;
    println!(
        "outside: net:[{}] has {} interfaces:",
        outside.inode(),
        links.len()
    );
    for link in &links {
        println!("  {} ({})", link.name, if link.up { "UP" } else { "DOWN" });
    }
    // ANCHOR_END: outside

    // ANCHOR: inside
    println!("creating a new network namespace (unshare CLONE_NEWNET in a helper thread)");
    let inside = NetNs::new().context("create a network namespace")?;
    let mut nl = Netlink::open_in(&inside)?; // a netlink socket that lives in the new namespace
    let links = nl.links()?;
    println!(
        "inside: net:[{}] has {} interface(s):",
        inside.inode(),
        links.len()
    );
    for link in &links {
        println!("  {} ({})", link.name, if link.up { "UP" } else { "DOWN" });
    }
    println!(
        "inside: {} address(es), {} route(s)",
        nl.addresses()?.len(),
        nl.routes()?.len()
    );
    // ANCHOR_END: inside

    anyhow::ensure!(
        outside.inode() != inside.inode(),
        "the new namespace should differ"
    );
    anyhow::ensure!(
        links.len() == 1 && links[0].name == "lo" && !links[0].up,
        "a new namespace should hold exactly one interface, lo, down"
    );
    println!("the namespace disappears when its last reference (our descriptor) is closed");
    Ok(())
}
