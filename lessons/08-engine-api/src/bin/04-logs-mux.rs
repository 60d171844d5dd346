//! Step 4: the 8-byte stream header. `docker logs` must print a container's stdout on its
//! stdout and its stderr on its stderr, but an HTTP body is one stream. So the daemon cuts the
//! output into frames: `[1 or 2, 0, 0, 0, length (big-endian u32)]` then the bytes. This step
//! serves one made-up container, `demo`, whose log it invents: a few lines on each stream.
//!
//! Run: `cargo run -p engineapi --bin 04-logs-mux -- --socket /tmp/lab.sock`, then
//! `DOCKER_HOST=unix:///tmp/lab.sock docker logs demo 2>/dev/null` (only the stdout lines) and
//! `curl -s --unix-socket /tmp/lab.sock 'http://x/containers/demo/logs?stdout=1&stderr=1' | od -c | head`
//! (look for `001 \0 \0 \0 \0 \0 \0 <length>` before each line). Before `logs`, the CLI
//! inspects the container to learn whether it has a TTY (then there would be no frames).

use anyhow::Context;
use clap::Parser;
use engineapi::mux::{StreamKind, write_frame};
use engineapi::version::Negotiation;
use engineapi::{ApiError, Call, Reply, Router, Server, system};
use serde_json::json;
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// Where to create the socket.
    #[arg(long, default_value = "/tmp/engineapi.sock")]
    socket: PathBuf,
}

/// The made-up log: which stream, which line.
const LOG: &[(StreamKind, &str)] = &[
    (StreamKind::Stdout, "hello from demo's stdout\n"),
    (StreamKind::Stderr, "a warning on demo's stderr\n"),
    (StreamKind::Stdout, "goodbye from demo's stdout\n"),
];

fn demo(call: &Call) -> Result<(), ApiError> {
    match call.param("id") {
        "demo" => Ok(()),
        other => Err(ApiError::not_found(format!("No such container: {other}"))),
    }
}

fn inspect(call: &Call) -> Result<Reply, ApiError> {
    demo(call)?;
    Ok(Reply::Json(
        200,
        json!({
            "Id": "demo", "Name": "/demo",
            "State": { "Status": "exited", "Running": false, "ExitCode": 0 },
            "Config": { "Tty": false, "Image": "made-up" },
        }),
    ))
}

fn logs(call: &Call) -> Result<Reply, ApiError> {
    demo(call)?;
    let mut body = Vec::new();
    for &(kind, line) in LOG {
        let wanted = match kind {
            StreamKind::Stdout => call.query_bool("stdout"),
            _ => call.query_bool("stderr"),
        };
        if wanted {
            write_frame(&mut body, kind, line.as_bytes()).expect("writing to memory");
        }
    }
    Ok(Reply::Stream {
        status: 200,
        content_type: "application/vnd.docker.raw-stream",
        body: Box::new(std::io::Cursor::new(body)),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = Server::bind(&args.socket).context("starting the server")?;
    println!(
        "one made-up container, demo, on {}",
        server.socket().display()
    );
    println!(
        "try: DOCKER_HOST=unix://{} docker logs demo",
        server.socket().display()
    );
    let containers = Router::new()
        .route("GET", "/containers/{id}/json", inspect)
        .route("GET", "/containers/{id}/logs", logs);
    let router = system::routes()
        .merge(containers)
        .negotiate(Negotiation::default());
    server.serve(router).context("serving")
}
