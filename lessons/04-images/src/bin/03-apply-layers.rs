//! Step 3 — apply the layers one by one and watch whiteouts delete.
//!
//! A layer is a tar of *changes*. Applying layer 2 adds `/etc/motd`; layer 3 carries
//! `etc/.wh.motd` (delete it) and `opt/app/.wh..wh..opq` (hide everything layer 1 and 2 put in
//! `/opt/app`), plus one new file. After each layer the step lists what a container would see.
//!
//! Run:   cargo run -p images --bin 03-apply-layers
//! Look:  tar tvzf /tmp/lab04/03-apply-layers/store/blobs/sha256/<layer 3 digest>
//! Read:  OCI image-spec layer.md ("Whiteouts", "Opaque Whiteout")

use std::fs;
use std::path::Path;

use anyhow::Result;
use images::{ApplyOptions, Store, demo};

fn main() -> Result<()> {
    let dir = demo::workdir("03-apply-layers")?;
    let store = Store::open(dir.join("store"))?;
    let image = demo::demo_image(&store)?;
    let rootfs = dir.join("rootfs");
    fs::create_dir(&rootfs)?;

    // ANCHOR: apply
    for (i, layer) in image.layers.iter().enumerate() {
        let report = store.apply_blob(layer, &rootfs, &ApplyOptions::default())?;
        println!(
            "after layer {i} ({} entries, {} whiteouts, diff ID {}):",
            report.entries, report.whiteouts, report.diff_id
        );
        show(&rootfs, "etc")?;
        show(&rootfs, "opt/app")?;
    }
    // ANCHOR_END: apply
    println!("\nthe merged root file system is in {}", rootfs.display());
    Ok(())
}

fn show(root: &Path, dir: &str) -> Result<()> {
    let mut names: Vec<String> = fs::read_dir(root.join(dir))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    println!("  /{dir}: {}", names.join(" "));
    Ok(())
}
