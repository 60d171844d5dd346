//! Step 2: `/_ping` and `/version`, so that `docker version` shows our server. Every `docker`
//! command starts with `HEAD /_ping` (or `GET`), then asks for what it needs. This step answers
//! only the two system routes; everything else gets Docker's 404 `page not found`.
//!
//! Run: `cargo run -p engineapi --bin 02-ping-version -- --socket /tmp/lab.sock`, then
//! `DOCKER_HOST=unix:///tmp/lab.sock docker version`. Look for: "Server: engineapi (lesson
//! 08)" in docker's output, and in this step's log the requests the CLI made. The ping carries
//! no `Api-Version` header yet, so the CLI falls back to the oldest version it knows (1.24) and
//! asks for `/v1.24/version`; step 3 fixes that.

use anyhow::Context;
use clap::Parser;
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
    println!(
        "serving /_ping and /version on {}",
        server.socket().display()
    );
    println!(
        "try: DOCKER_HOST=unix://{} docker version",
        server.socket().display()
    );
    server.serve(system::routes()).context("serving")
}
