//! Step 2 — change one byte, and the image is refused.
//!
//! Content addressing makes tampering *detectable*: a blob's name is the hash of its bytes, so
//! a changed byte no longer matches its name. The step flips one byte of a layer in an OCI
//! layout and tries to load it (refused, nothing tagged, the bad blob never enters the store),
//! then flips a byte of a layer already *in* the store and tries to unpack it (refused, no
//! half-unpacked layer left behind).
//!
//! Run:   cargo run -p images --bin 02-tamper
//! Read:  OCI image-spec descriptor.md ("Digests"), sha256sum(1)

use std::fs;

use anyhow::Result;
use images::{Store, demo, layout};

fn main() -> Result<()> {
    let dir = demo::workdir("02-tamper")?;
    let store = Store::open(dir.join("store"))?;
    let image = demo::demo_image(&store)?;
    let out = dir.join("layout");
    layout::save(&store, demo::DEMO, &out, "latest")?;

    // ANCHOR: flip
    let victim = &image.layers[0];
    let path = out.join("blobs/sha256").join(victim.digest.hex());
    let mut bytes = fs::read(&path)?;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&path, &bytes)?;
    println!(
        "flipped one bit at offset {middle} of layer {} in {}",
        victim.digest,
        out.display()
    );
    // ANCHOR_END: flip

    // ANCHOR: load
    let fresh = Store::open(dir.join("fresh-store"))?;
    match layout::load(&fresh, &out, Some("latest"), demo::DEMO) {
        Ok(_) => println!("loaded?! this should not happen"),
        Err(e) => println!("load rejected: {e}"),
    }
    println!(
        "tampered blob in the fresh store: {}",
        fresh.has_blob(&victim.digest)
    );
    println!("tags in the fresh store: {:?}", fresh.tags()?);
    // ANCHOR_END: load

    // ANCHOR: unpack
    let in_store = store.blob_path(&victim.digest);
    let mut bytes = fs::read(&in_store)?;
    bytes[middle] ^= 0x01;
    fs::write(&in_store, &bytes)?;
    println!(
        "\nflipped the same bit in the store's own copy {}",
        in_store.display()
    );
    match store.unpack(&image) {
        Ok(_) => println!("unpacked?! this should not happen"),
        Err(e) => println!("unpack rejected: {e}"),
    }
    let left: Vec<_> = fs::read_dir(store.layers_dir())?.collect();
    println!("unpacked layer directories left behind: {}", left.len());
    // ANCHOR_END: unpack
    Ok(())
}
