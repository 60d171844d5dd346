//! Step 1: look around. Which cgroup layout does this machine run, which cgroup are we in,
//! and which controllers can we use?
//!
//! Run: `cargo run -p cgroups --bin 01-look-around`
//! Look for: "layout: unified" on most laptops (cgroup v2), "legacy" or "hybrid" on older
//! or container-build machines (v1), and the lines of /proc/self/cgroup.
//! Man pages: cgroups(7), statfs(2), proc(5) (/proc/PID/mountinfo, /proc/PID/cgroup).

use anyhow::Context;
use cgroups::{Hierarchy, Layout, files, layout, process};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    cgroups::workload::serve_if_asked();

    // ANCHOR: detect
    println!(
        "statfs(2) on {} and /proc/self/mountinfo tell us the layout:",
        layout::CGROUP_ROOT
    );
    let hierarchy = Hierarchy::detect().context("detecting the cgroup layout")?;
    println!("  layout: {:?}", hierarchy.layout());
    for mount in hierarchy.mounts() {
        let kind = if mount.v2 {
            "cgroup2".to_string()
        } else {
            format!("cgroup v1 [{}]", mount.controllers.join(","))
        };
        println!("  {:<32} {kind}", mount.mount_point.display());
    }
    // ANCHOR_END: detect

    println!("\n/proc/self/cgroup: the cgroup we are in, per hierarchy:");
    for line in process::cgroup_of(std::process::id() as i32)?.lines() {
        println!("  {line}");
    }

    // ANCHOR: controllers
    match hierarchy.layout() {
        Layout::Unified => {
            let root = Path::new(layout::CGROUP_ROOT);
            let available = files::read(&root.join("cgroup.controllers"))?;
            let enabled = files::read(&root.join("cgroup.subtree_control"))?;
            println!(
                "\ncontrollers the kernel offers ({}): {}",
                root.join("cgroup.controllers").display(),
                available.trim()
            );
            println!(
                "enabled for children (cgroup.subtree_control): {}",
                enabled.trim()
            );
        }
        Layout::Legacy | Layout::Hybrid => {
            let v1: Vec<String> = hierarchy
                .mounts()
                .iter()
                .filter(|m| !m.v2)
                .flat_map(|m| m.controllers.clone())
                .collect();
            println!("\nv1 controllers, one hierarchy each: {}", v1.join(" "));
            println!("(a cgroup here is one directory per hierarchy, with the same name in each)");
        }
    }
    // ANCHOR_END: controllers
    Ok(())
}
