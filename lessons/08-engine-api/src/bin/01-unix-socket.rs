//! Step 1: HTTP over a unix socket. The Docker daemon listens on a unix(7) stream socket, a
//! file (`/var/run/docker.sock`); the client connects to it and speaks plain HTTP/1.1. This
//! step listens on a socket of its own and answers every request with what it received.
//!
//! Run: `cargo run -p engineapi --bin 01-unix-socket -- --socket /tmp/lab.sock`, then in
//! another terminal: `curl --unix-socket /tmp/lab.sock http://x/_ping` (the host name `x` is
//! ignored: the socket is the address). Look for: the request line and headers curl sent.
//! Man pages: unix(7), curl(1) `--unix-socket`.

use anyhow::Context;
use clap::Parser;
use engineapi::{Reply, Router, Server};
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
    println!("listening on unix socket {}", server.socket().display());
    println!(
        "try: curl --unix-socket {} http://x/_ping",
        server.socket().display()
    );
    // No routes yet: every request reaches the fallback, which echoes what it received.
    let echo = Router::new().fallback(|call| {
        let mut seen = format!("{} {} {}\n", call.method, call.url, call.version);
        for (name, value) in &call.headers {
            seen.push_str(&format!("{name}: {value}\n"));
        }
        print!("received:\n{seen}");
        Ok(Reply::Text(
            200,
            format!("hello from a unix socket; you sent:\n{seen}"),
        ))
    });
    server.serve(echo).context("serving")
}
