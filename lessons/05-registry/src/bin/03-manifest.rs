//! Step 3: fetch a manifest and pick the platform.
//!
//! Run: `cargo run -p registry --bin 03-manifest -- 127.0.0.1:5000/lab/multi:1 --platform linux/arm64`
//! Look for: the `Accept` types we send, the type and digest that come back (sha256 of the exact
//! bytes, checked against `Docker-Content-Digest`), and — for an index — which entry matches
//! the platform, then that manifest's config and layers. Spec: OCI image-spec manifest.md and
//! image-index.md; distribution-spec "Pulling manifests".

use anyhow::Context;
use clap::Parser;
use registry::manifest::{ACCEPT, Manifest, Platform, fetch_manifest, select_platform};
use registry::{Client, Reference};

/// Fetch a manifest and choose a platform.
#[derive(Parser)]
struct Args {
    /// Image reference.
    image: String,
    /// Platform to pick from an index (default: this machine's).
    #[arg(long)]
    platform: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let reference = Reference::parse(&args.image)?;
    let platform = args
        .platform
        .as_deref()
        .map(Platform::parse)
        .transpose()?
        .unwrap_or_else(Platform::host);
    let client = Client::from_user_files()?;
    let endpoint = client
        .config()
        .endpoints(&reference)
        .pop()
        .expect("an endpoint");
    println!("Accept: {ACCEPT}");
    // ANCHOR: fetch
    let mut fetched = fetch_manifest(
        &client,
        &endpoint,
        &reference.repository,
        reference.target(),
    )
    .with_context(|| format!("fetching the manifest of {reference}"))?;
    // ANCHOR_END: fetch
    println!(
        "{} → {} ({} bytes, digest verified {})",
        reference,
        fetched.media_type,
        fetched.bytes.len(),
        fetched.digest
    );
    if let Manifest::Index(index) = &fetched.manifest {
        for d in &index.manifests {
            let p = d
                .platform
                .as_ref()
                .map_or("?".to_string(), |p| p.to_string());
            println!("  index entry {p:20} {}", d.digest);
        }
        // ANCHOR: platform
        let chosen = select_platform(index, &platform, &reference.to_string())?;
        fetched = fetch_manifest(&client, &endpoint, &reference.repository, &chosen.digest)?;
        // ANCHOR_END: platform
        println!("picked {platform} → {} (digest verified)", fetched.digest);
    }
    if let Manifest::Image(m) = &fetched.manifest {
        println!("  config {} ({} bytes)", m.config.digest, m.config.size);
        for layer in &m.layers {
            println!(
                "  layer  {} ({} bytes, {})",
                layer.digest, layer.size, layer.media_type
            );
        }
    }
    Ok(())
}
