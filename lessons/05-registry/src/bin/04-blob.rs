//! Step 4: fetch and verify a blob.
//!
//! Run: `cargo run -p registry --bin 04-blob -- 127.0.0.1:5000/lab/busybox:v1 --store /tmp/store`
//! Look for: each layer streamed into `STORE/tmp/` while its sha256 is computed, then renamed
//! (rename(2)) to `STORE/blobs/sha256/<hex>` only when the hash equals the digest in the
//! manifest; run it twice and see "already in the store". Corrupt a byte in the registry's
//! storage and the blob is refused with nothing left behind.

use anyhow::Context;
use clap::Parser;
use images::store::Store;
use registry::blob::{Fetch, fetch_blob, store_digest};
use registry::manifest::{Manifest, Platform, fetch_manifest, select_platform};
use registry::{Client, Reference};

/// Fetch an image's layers into a store, verifying each.
#[derive(Parser)]
struct Args {
    /// Image reference.
    image: String,
    /// Store directory (lesson 04's layout).
    #[arg(long, default_value = "/tmp/lab-store")]
    store: std::path::PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let reference = Reference::parse(&args.image)?;
    let store = Store::open(&args.store)?;
    let client = Client::from_user_files()?;
    let endpoint = client
        .config()
        .endpoints(&reference)
        .pop()
        .expect("an endpoint");
    let mut fetched = fetch_manifest(
        &client,
        &endpoint,
        &reference.repository,
        reference.target(),
    )?;
    if let Manifest::Index(index) = &fetched.manifest {
        let chosen = select_platform(index, &Platform::host(), &reference.to_string())?;
        fetched = fetch_manifest(&client, &endpoint, &reference.repository, &chosen.digest)?;
    }
    let Manifest::Image(manifest) = fetched.manifest else {
        anyhow::bail!("an index inside an index")
    };
    for layer in &manifest.layers {
        // ANCHOR: blob
        let outcome = fetch_blob(
            &client,
            &endpoint,
            &reference.repository,
            layer,
            &store,
            &|_| {},
        )
        .with_context(|| format!("fetching layer {}", layer.digest))?;
        // ANCHOR_END: blob
        let path = store.blob_path(&store_digest(&layer.digest)?);
        match outcome {
            Fetch::AlreadyExists => println!("{}: already in the store", layer.digest),
            Fetch::Downloaded { resumed, .. } => {
                println!(
                    "{}: {} bytes, sha256 verified, resumed {resumed}×",
                    layer.digest, layer.size
                );
            }
        }
        println!("  → {}", path.display());
    }
    Ok(())
}
