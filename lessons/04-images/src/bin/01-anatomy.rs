//! Step 1 — the anatomy of an image: index → manifest → config → layers.
//!
//! Builds the demo image (three layers made from busybox-static), writes it as an OCI image
//! layout, then walks it the way a runtime does, printing each document and each digest.
//! Every blob's file name is the sha256 of its bytes: the step re-hashes them to show it.
//!
//! Run:   cargo run -p images --bin 01-anatomy            (the demo image)
//!        cargo run -p images --bin 01-anatomy -- DIR:TAG  (any OCI layout, e.g. from skopeo)
//! Look:  ls -R /tmp/lab04/01-anatomy/layout; cat …/index.json
//! Read:  OCI image-spec image-layout.md, image-index.md, manifest.md, config.md

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};
use images::{Digest, Store, demo, layout};

fn main() -> Result<()> {
    let dir = demo::workdir("01-anatomy")?;
    let store = Store::open(dir.join("store"))?;
    let (layout_dir, tag) = match std::env::args().nth(1) {
        Some(arg) => {
            let (d, t) = arg.rsplit_once(':').context("give the layout as DIR:TAG")?;
            (PathBuf::from(d), t.to_string())
        }
        None => {
            demo::demo_image(&store)?;
            let out = dir.join("layout");
            layout::save(&store, demo::DEMO, &out, "latest")?;
            println!(
                "built {} and wrote it as an OCI image layout in {}\n",
                demo::DEMO,
                out.display()
            );
            (out, "latest".to_string())
        }
    };

    // ANCHOR: walk
    println!(
        "oci-layout: {}",
        fs::read_to_string(layout_dir.join("oci-layout"))?.trim()
    );
    for entry in layout::read_index(&layout_dir)? {
        println!(
            "index.json → {} {} ({} bytes), tag {:?}",
            entry.media_type, entry.digest, entry.size, entry.ref_name
        );
    }
    let image = layout::load(&store, &layout_dir, Some(&tag), "inspected")?;
    println!("\nmanifest {}:", image.digest);
    println!(
        "  config {} ({} bytes)",
        image.config_digest,
        image.manifest.config().size()
    );
    for (i, l) in image.layers.iter().enumerate() {
        println!(
            "  layer {i}: {} ({} bytes, {})",
            l.digest, l.size, l.media_type
        );
    }
    let c = image.config.config().clone().unwrap_or_default();
    println!(
        "\nconfig {} (Docker calls this the IMAGE ID):",
        image.config_digest
    );
    println!(
        "  Entrypoint {:?}  Cmd {:?}",
        c.entrypoint().clone().unwrap_or_default(),
        c.cmd().clone().unwrap_or_default()
    );
    println!("  Env {:?}", c.env().clone().unwrap_or_default());
    println!(
        "  WorkingDir {:?}  User {:?}",
        c.working_dir().clone().unwrap_or_default(),
        c.user().clone().unwrap_or_default()
    );
    for (i, l) in image.layers.iter().enumerate() {
        println!(
            "  rootfs.diff_ids[{i}] = {} (sha256 of the *uncompressed* tar)",
            l.diff_id
        );
    }
    // ANCHOR_END: walk

    // ANCHOR: evidence
    println!("\nevidence: every file in blobs/sha256 is named by the sha256 of its content");
    let mut names: Vec<_> =
        fs::read_dir(layout_dir.join("blobs/sha256"))?.collect::<Result<_, _>>()?;
    names.sort_by_key(|e| e.file_name());
    for e in names {
        let name = e.file_name().to_string_lossy().into_owned();
        let actual = Digest::of(&fs::read(e.path())?);
        let verdict = if actual.hex() == name {
            "matches"
        } else {
            "DOES NOT MATCH"
        };
        println!(
            "  {}…  {:>9} bytes  name {verdict} content",
            &name[..16],
            e.metadata()?.len()
        );
    }
    // ANCHOR_END: evidence
    Ok(())
}
