//! Step 4 — diff IDs, chain IDs, and two images sharing their base layers.
//!
//! `lab/demo-plus` is `lab/demo` plus one layer (like `FROM lab/demo` + `RUN …`). Their first
//! three layers have the same chain IDs, so the store unpacks them once: four layer
//! directories serve both images. `lab/lonely` has *only* demo's third layer: same diff ID,
//! different chain ID — a layer's meaning depends on what lies beneath it.
//!
//! Run:   cargo run -p images --bin 04-chain-ids
//! Look:  ls /tmp/lab04/04-chain-ids/store/layers
//! Read:  OCI image-spec config.md ("Layer DiffID", "Layer ChainID")

use std::fs;

use anyhow::Result;
use images::{ImageBuilder, ImportOptions, Store, demo};

fn main() -> Result<()> {
    let dir = demo::workdir("04-chain-ids")?;
    let store = Store::open(dir.join("store"))?;
    let demo_image = demo::demo_image(&store)?;

    // ANCHOR: build
    let mut plus = ImageBuilder::from_image(&store, &demo_image);
    plus.add_layer(
        &demo::LayerTar::new()
            .file("opt/app/plus", b"one more layer\n", 0o644)?
            .finish()?[..],
    )?;
    let plus = plus.commit("lab/demo-plus:latest", &demo::demo_config())?;
    let mut lonely = ImageBuilder::new(&store);
    lonely.add_layer(&demo::demo_layers()?[2][..])?;
    let lonely = lonely.commit("lab/lonely:latest", &ImportOptions::default())?;
    // ANCHOR_END: build

    for image in [&demo_image, &plus, &lonely] {
        println!("{}:", image.digest);
        for (i, l) in image.layers.iter().enumerate() {
            println!(
                "  layer {i}: diff ID {}…  chain ID {}…",
                &l.diff_id.hex()[..16],
                &l.chain_id.hex()[..16]
            );
        }
    }

    // ANCHOR: share
    let a = store.unpack(&demo_image)?;
    let b = store.unpack(&plus)?;
    let c = store.unpack(&lonely)?;
    let shared = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    let dirs = fs::read_dir(store.layers_dir())?.count();
    println!("\nlab/demo and lab/demo-plus share {shared} unpacked layer directories");
    println!(
        "lab/lonely's only layer has demo's diff ID but its own directory: {}",
        c[0] != a[2]
    );
    println!(
        "{dirs} layer directories in {} for 3 + 4 + 1 layers",
        store.layers_dir().display()
    );
    // ANCHOR_END: share
    Ok(())
}
