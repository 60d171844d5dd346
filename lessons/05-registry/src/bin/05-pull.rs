//! Step 5: pull into the store — everything so far, in parallel, with progress bars.
//!
//! Run: `cargo run -p registry --bin 05-pull -- 127.0.0.1:5000/lab/busybox:v1 --store /tmp/lab-store`
//! Look for: one progress bar per layer (only on a terminal), "Already exists" for blobs the
//! store has, and the tag in `STORE/tags.json` pointing at the manifest digest — written last,
//! so an interrupted pull never leaves a tag to a half image. Mirrors come from
//! `~/.config/container-lab/registries.json` (`registry-mirrors`, as in Docker's daemon.json).

use anyhow::Context;
use clap::Parser;
use images::store::Store;
use registry::manifest::Platform;
use registry::pull::{PullOptions, pull};
use registry::{Client, Reference};

/// Pull an image into a store.
#[derive(Parser)]
struct Args {
    /// Image reference (`alpine`, `127.0.0.1:5000/lab/busybox:v1`).
    image: String,
    /// Store directory (lesson 04's layout).
    #[arg(long, default_value = "/tmp/lab-store")]
    store: std::path::PathBuf,
    /// Platform to pick from a multi-platform image (`linux/arm64/v8`).
    #[arg(long)]
    platform: Option<String>,
    /// Parallel downloads.
    #[arg(long, default_value_t = 3)]
    jobs: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let reference = Reference::parse(&args.image)?;
    let store = Store::open(&args.store)?;
    let client = Client::from_user_files()?;
    let platform = args
        .platform
        .as_deref()
        .map(Platform::parse)
        .transpose()?
        .unwrap_or_else(Platform::host);
    let options = PullOptions {
        platform,
        jobs: args.jobs,
        progress: true,
    };
    println!(
        "{}: Pulling from {}",
        reference.tag.as_deref().unwrap_or("latest"),
        reference.repository
    );
    // ANCHOR: pull
    let pulled = pull(&client, &store, &reference, &options)
        .with_context(|| format!("pulling {reference}"))?;
    // ANCHOR_END: pull
    if let Some(index) = &pulled.index {
        println!("Index: {index} → {}", options.platform);
    }
    println!("Digest: {}", pulled.manifest);
    println!(
        "Source: {}{}",
        pulled.endpoint.base,
        if pulled.endpoint.mirror {
            " (mirror)"
        } else {
            ""
        }
    );
    println!(
        "Blobs: {} downloaded, {} already present, {} resumed",
        pulled.downloaded, pulled.skipped, pulled.resumed
    );
    let status = if pulled.downloaded == 0 {
        "Image is up to date"
    } else {
        "Downloaded newer image"
    };
    println!("Status: {status} for {}", reference.familiar());
    Ok(())
}
