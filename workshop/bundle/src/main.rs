//! `kit-bundle`: the instructor's images for a room with poor Wi-Fi. `cargo kit bundle …` and
//! `cargo kit classroom` build and run it; it can also be run by hand:
//!
//! - `kit-bundle create FILE --image REF…`: pulls each image (this machine's platform) with
//!   lesson 05's client into a scratch lesson 04 store, and writes it as one OCI layout tar;
//! - `kit-bundle load FILE --registry HOST:PORT`: pushes every image of the file to a
//!   registry under the same repository and tag (`docker.io/library/busybox:latest` becomes
//!   `HOST:PORT/library/busybox:latest`), so the registry also serves as a Docker Hub mirror;
//! - `kit-bundle serve --addr ADDR --root DIR [--bundle FILE]`: lesson 05's registry server,
//!   loaded from the bundle, until it is stopped (SIGTERM or SIGINT).
//!
//! All of it speaks the OCI distribution protocol over HTTP (see lesson 05), and the file is
//! the OCI image layout (see [`layout`]).

mod layout;

use anyhow::Context;
use clap::{Parser, Subcommand};
use images::store::Store;
use registry::auth::CredentialStore;
use registry::config::Config;
use registry::pull::{PullOptions, pull};
use registry::push::{PushOptions, push};
use registry::{Client, Reference};
use std::path::{Path, PathBuf};

/// The workshop's images in one file, and a registry loaded from it.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pull the images and save them into FILE.
    Create {
        file: PathBuf,
        /// An image to save (repeat for more).
        #[arg(long = "image", required = true)]
        images: Vec<String>,
        /// A Docker Hub mirror to pull through (http://HOST:PORT), as in registries.json.
        #[arg(long)]
        mirror: Option<String>,
    },
    /// Push every image of FILE to a registry.
    Load {
        file: PathBuf,
        /// The registry to fill, HOST:PORT.
        #[arg(long)]
        registry: String,
    },
    /// Serve lesson 05's registry from DIR, loaded from a bundle.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "0.0.0.0:5000")]
        addr: String,
        /// The registry's storage directory.
        #[arg(long)]
        root: PathBuf,
        /// A bundle to load once the registry is up.
        #[arg(long)]
        bundle: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Create {
            file,
            images,
            mirror,
        } => create(&file, &images, mirror),
        Command::Load { file, registry } => load(&file, &registry).map(|_| ()),
        Command::Serve { addr, root, bundle } => serve(&addr, &root, bundle.as_deref()),
    }
}

/// A client with the user's saved logins, pulling docker.io images through `mirror` if given.
fn client(mirror: Option<String>) -> anyhow::Result<Client> {
    let mut config = Config::default();
    config.mirrors.extend(mirror);
    let logins = CredentialStore::load(&CredentialStore::default_path())?;
    Ok(Client::new(config, logins))
}

fn create(file: &Path, images: &[String], mirror: Option<String>) -> anyhow::Result<()> {
    let scratch = tempfile::Builder::new().prefix("kit-bundle-").tempdir()?;
    let store = Store::open(scratch.path())?;
    let client = client(mirror)?;
    let options = PullOptions {
        progress: false,
        ..PullOptions::default()
    };
    for image in images {
        let reference = Reference::parse(image).with_context(|| format!("image {image:?}"))?;
        let pulled = pull(&client, &store, &reference, &options)
            .with_context(|| format!("pull {reference}"))?;
        println!("pulled {reference} ({})", pulled.manifest);
    }
    let entries = layout::write(&store, file)?;
    let size = std::fs::metadata(file)?.len();
    println!(
        "wrote {} image(s), {:.1} MiB, to {}",
        entries.len(),
        size as f64 / (1 << 20) as f64,
        file.display()
    );
    Ok(())
}

/// Pushes every image of `file` to `registry` (HOST:PORT); returns how many.
fn load(file: &Path, registry: &str) -> anyhow::Result<usize> {
    let scratch = tempfile::Builder::new().prefix("kit-bundle-").tempdir()?;
    let store = Store::open(scratch.path())?;
    let entries = layout::read(file, &store)?;
    let client = client(None)?;
    for entry in &entries {
        let source = Reference::parse(&entry.name)
            .with_context(|| format!("{:?} in the bundle", entry.name))?;
        let dest = Reference {
            registry: registry.to_string(),
            digest: None,
            ..source
        };
        let pushed = push(&client, &store, &entry.name, &dest, &PushOptions::default())
            .with_context(|| format!("push {dest}"))?;
        println!("loaded {dest} ({})", pushed.manifest);
    }
    Ok(entries.len())
}

fn serve(addr: &str, root: &Path, bundle: Option<&Path>) -> anyhow::Result<()> {
    let server = registry::server::RegistryServer::start_with_log(addr, root, false)
        .with_context(|| format!("start the registry on {addr}"))?;
    let port = server.addr().port();
    if let Some(bundle) = bundle {
        // Loaded over HTTP like any client would, through loopback whatever `addr` is.
        let count = load(bundle, &format!("127.0.0.1:{port}"))?;
        println!("loaded {count} image(s) from {}", bundle.display());
    }
    println!("classroom registry: http://{}/v2/_catalog", server.addr());
    server.wait();
    Ok(())
}
