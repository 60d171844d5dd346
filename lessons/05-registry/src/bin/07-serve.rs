//! Step 7: serve a registry — the other side of the protocol, for a classroom.
//!
//! Run: `cargo run -p registry --bin 07-serve -- --addr 0.0.0.0:5000 --root /var/lib/lab-registry`
//! then, from any machine that lists it under `insecure-registries` (or on this one):
//! `skopeo copy --dest-tls-verify=false oci:DIR:tag docker://HOST:5000/lab/app:tag`, or
//! `cargo run -p registry --bin 06-push -- …`. Look at ROOT/blobs and ROOT/repositories grow.
//! Lessons: OCI distribution spec, socket(2)/bind(2)/listen(2) under `tiny_http`.

use anyhow::Context;
use clap::Parser;

/// Serve a registry from a directory.
#[derive(Parser)]
struct Args {
    /// Address to listen on (`0.0.0.0:5000` for the whole classroom, `127.0.0.1:0` for a test).
    #[arg(long, default_value = "127.0.0.1:5000")]
    addr: String,
    /// Storage directory (lesson 04's store layout, plus repositories/).
    #[arg(long, default_value = "/var/lib/lab-registry")]
    root: std::path::PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // ANCHOR: serve
    let server = registry::server::RegistryServer::start_with_log(&args.addr, &args.root, true)
        .with_context(|| format!("starting the registry on {}", args.addr))?;
    // ANCHOR_END: serve
    println!(
        "serving {} on http://{}/v2/",
        args.root.display(),
        server.addr()
    );
    println!("try: curl -s http://{}/v2/_catalog", server.addr());
    server.wait();
    Ok(())
}
