//! Step 6: a tiny daemon. Everything so far, together, with real containers: `docker run --rm
//! busybox echo hi` against this step creates a lesson 01 container (namespaces, pivot_root
//! into lesson 01's busybox root), streams its output through the hijacked attach connection
//! in 8-byte frames, and answers the CLI's `wait` with the exit code when the container is gone.
//!
//! Run (as root): `cargo run -p engineapi --bin 06-tiny-daemon -- --socket /tmp/lab.sock`, then
//! `DOCKER_HOST=unix:///tmp/lab.sock docker run --rm busybox echo hi` and
//! `DOCKER_HOST=unix:///tmp/lab.sock docker run --rm busybox sh -c 'hostname; exit 3'; echo $?`.
//! Look for: `hi`; a hostname that is not the host's; exit code 3; and in this step's log the
//! calls the CLI made, in order (see the `daemon` module's doc comment).

use anyhow::Context;
use clap::Parser;
use engineapi::daemon::{self, Daemon};
use engineapi::version::Negotiation;
use engineapi::{Server, system};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
struct Args {
    /// Where to create the socket.
    #[arg(long, default_value = "/tmp/engineapi.sock")]
    socket: PathBuf,
}

fn main() -> anyhow::Result<()> {
    if let Some(code) = daemon::shim_main() {
        std::process::exit(code); // we were started as a container's shim
    }
    let args = Args::parse();
    namespaces::rootfs::busybox_rootfs().context("preparing lesson 01's busybox root")?;
    let server = Server::bind(&args.socket).context("starting the server")?;
    println!("a tiny daemon on {}", server.socket().display());
    println!(
        "try: DOCKER_HOST=unix://{} docker run --rm busybox echo hi",
        server.socket().display()
    );
    let router = system::routes()
        .merge(daemon::routes(Arc::new(Daemon::default())))
        .negotiate(Negotiation::default());
    server.serve(router).context("serving")
}
