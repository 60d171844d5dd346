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
use engineapi::Server;
use std::path::PathBuf;
use tiny_http::Response;

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
    loop {
        let request = server.recv().context("accepting a request")?;
        let mut seen = format!(
            "{} {} HTTP/{}\n",
            request.method(),
            request.url(),
            request.http_version()
        );
        for h in request.headers() {
            seen.push_str(&format!("{}: {}\n", h.field, h.value));
        }
        print!("received:\n{seen}");
        let reply = format!("hello from a unix socket; you sent:\n{seen}");
        request.respond(Response::from_string(reply))?;
    }
}
