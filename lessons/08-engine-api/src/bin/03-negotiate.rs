//! Step 3: API version negotiation. Now every response carries `Api-Version: 1.41`; the CLI
//! (which speaks 1.50) reads it from `/_ping` and talks down to 1.41. Requests name their
//! version in the path (`/v1.41/version`) or none (served at 1.41); versions below 1.24 or above
//! 1.50 get Docker's 400 with `client version … is too old/new`.
//!
//! Run: `cargo run -p engineapi --bin 03-negotiate -- --socket /tmp/lab.sock`, then
//! `DOCKER_HOST=unix:///tmp/lab.sock docker version` (look for `API version: 1.41` under
//! Server, and the `/v1.41/` paths in this step's log),
//! `curl -i --unix-socket /tmp/lab.sock http://x/v1.12/version` (the 400 and its JSON), and
//! `DOCKER_API_VERSION=1.24 DOCKER_HOST=… docker version` (an old client, still served).

use anyhow::Context;
use clap::Parser;
use engineapi::version::Negotiation;
use engineapi::{Server, system};
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// Where to create the socket.
    #[arg(long, default_value = "/tmp/engineapi.sock")]
    socket: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = Server::bind(&args.socket).context("starting the server")?;
    let n = Negotiation::default();
    println!(
        "serving on {}: advertising API {}, accepting {} to {}",
        server.socket().display(),
        n.advertised,
        n.min,
        n.max
    );
    server
        .serve(system::routes().negotiate(n))
        .context("serving")
}
