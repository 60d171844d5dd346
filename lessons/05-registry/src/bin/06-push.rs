//! Step 6: push an image — blobs the registry lacks, then the manifest under a tag.
//!
//! Run: `cargo run -p registry --bin 06-push -- 127.0.0.1:5000/lab/busybox:v1 127.0.0.1:5000/class/busybox:v1 --store /tmp/lab-store`
//! Look for: "exists" for blobs the registry already has (HEAD → 200), "mounted" with
//! `--mount-from` (POST ?mount= → 201, no bytes sent), "uploaded in N chunks" with
//! `--chunk-size`, and the digest the registry confirms for the manifest — the same one we
//! computed, since the manifest bytes travel unchanged.

use anyhow::Context;
use clap::Parser;
use images::store::Store;
use registry::push::{BlobPush, PushOptions, push};
use registry::{Client, Reference};

/// Push an image from a store to a registry.
#[derive(Parser)]
struct Args {
    /// The image in the store (a full reference as pulled, or a digest).
    local: String,
    /// Where to push it.
    dest: String,
    /// Store directory.
    #[arg(long, default_value = "/tmp/lab-store")]
    store: std::path::PathBuf,
    /// Upload in chunks of this many bytes (PATCH) instead of one PUT.
    #[arg(long)]
    chunk_size: Option<usize>,
    /// Mount blobs from this repository of the same registry.
    #[arg(long)]
    mount_from: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let store = Store::open(&args.store)?;
    let local = match Reference::parse(&args.local) {
        Ok(r) if !args.local.starts_with("sha256:") => r.to_string(),
        _ => args.local.clone(),
    };
    let dest = Reference::parse(&args.dest)?;
    let client = Client::from_user_files()?;
    let options = PushOptions {
        chunk_size: args.chunk_size,
        mount_from: args.mount_from,
    };
    // ANCHOR: push
    let pushed = push(&client, &store, &local, &dest, &options)
        .with_context(|| format!("pushing to {dest}"))?;
    // ANCHOR_END: push
    for (digest, how) in &pushed.blobs {
        let short = registry::progress::short_id(digest);
        match how {
            BlobPush::Existed => println!("{short}: Layer already exists"),
            BlobPush::Mounted => println!(
                "{short}: Mounted from {}",
                options.mount_from.as_deref().unwrap_or("?")
            ),
            BlobPush::Uploaded { chunks } => println!("{short}: Pushed ({chunks} request(s))"),
        }
    }
    println!(
        "{}: digest: {}",
        dest.tag.as_deref().unwrap_or("-"),
        pushed.manifest
    );
    Ok(())
}
