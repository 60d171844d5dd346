//! Step 6 — run a container from the image: lesson 01 (namespaces) + lesson 03 (overlay).
//!
//! Unpacks the demo image once per layer, mounts an overlay of those layers plus a fresh
//! writable layer, turns the image config into a process (Entrypoint + Cmd, Env, WorkingDir,
//! User looked up in the image's own /etc/passwd) and starts it in new namespaces. Arguments
//! after `--` replace the image's Cmd, exactly like `docker run lab/demo ARGS…`.
//!
//! Run:   cargo run -p images --bin 06-run
//!        cargo run -p images --bin 06-run -- 'ls /opt/app; cat /etc/motd'
//! Read:  OCI image-spec config.md (Entrypoint, Cmd, Env, WorkingDir, User), clone(2),
//!        pivot_root(2), the overlayfs chapter

use std::fs;

use anyhow::{Context, Result};
use images::{Store, demo, runconfig};
use namespaces::container::{ContainerSpec, run};
use overlay::Overlay;

fn main() -> Result<()> {
    let dir = demo::workdir("06-run")?;
    let store = Store::open(dir.join("store"))?;
    let image = demo::demo_image(&store)?;
    let user_args: Vec<String> = std::env::args().skip(1).collect();

    // ANCHOR: rootfs
    let layers = store.unpack(&image)?; // bottom layer first
    let (upper, work, merged) = (dir.join("upper"), dir.join("work"), dir.join("merged"));
    for d in [&upper, &work, &merged] {
        fs::create_dir(d)?;
    }
    let lowers: Vec<_> = layers.iter().rev().cloned().collect(); // overlayfs wants top first
    let mounted = Overlay::new(lowers, &upper, &work)
        .mount(&merged)
        .context("mount the image's overlay")?;
    println!(
        "mounted {} layers of {} at {}",
        layers.len(),
        demo::DEMO,
        merged.display()
    );
    // ANCHOR_END: rootfs

    // ANCHOR: process
    let process = runconfig::process(&image.config, &merged, &user_args)?;
    println!("process from the image config: args {:?}", process.args);
    println!("  env {:?}", process.env);
    println!(
        "  cwd {}  uid {}  gid {}",
        process.cwd.display(),
        process.uid,
        process.gid
    );
    let mut spec = ContainerSpec::new(&merged, process.args);
    spec.env = process.env;
    spec.cwd = process.cwd;
    spec.uid = process.uid;
    spec.gid = process.gid;
    spec.readonly_rootfs = false; // the overlay's upper layer takes the writes
    // ANCHOR_END: process

    println!("--- container output ---");
    let code = run(&spec)?;
    println!("--- exit code {code} ---");
    mounted.unmount()?;
    std::process::exit(code);
}
