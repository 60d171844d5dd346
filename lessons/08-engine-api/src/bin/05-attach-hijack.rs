//! Step 5: hijacking the connection. `docker attach` needs a two-way raw stream: your input to
//! the container, its output back. HTTP has one request and one response, so the client asks
//! to *upgrade* the connection (`Connection: Upgrade`, `Upgrade: tcp`); the server answers
//! `101` and from then on both sides read and write raw bytes on the socket (stdin as is, the
//! output in step 4's frames). This step serves one made-up running container, `shout`, whose
//! "process" answers each line of input in capitals, and says goodbye on stderr when input ends.
//!
//! Run: `cargo run -p engineapi --bin 05-attach-hijack -- --socket /tmp/lab.sock`, then
//! `echo hello | DOCKER_HOST=unix:///tmp/lab.sock docker attach shout`. Look for: `HELLO`,
//! the goodbye line on stderr, and in this step's log the order of the CLI's calls: `wait`
//! first (its answer comes only when the session ends), then inspect, then `attach` → 101.
//! When `echo` is done, the CLI half-closes the socket (shutdown(2)); we still write after that.

use anyhow::Context;
use clap::Parser;
use engineapi::hijack::{Hijacked, RAW_STREAM};
use engineapi::mux::{StreamKind, write_frame};
use engineapi::version::Negotiation;
use engineapi::{ApiError, Call, Reply, Router, Server, system};
use serde_json::json;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

#[derive(Parser)]
struct Args {
    /// Where to create the socket.
    #[arg(long, default_value = "/tmp/engineapi.sock")]
    socket: PathBuf,
}

/// How many attach sessions have ended; `wait` waits for the next one.
type Sessions = Arc<(Mutex<u64>, Condvar)>;

fn shout(call: &Call) -> Result<(), ApiError> {
    match call.param("id") {
        "shout" => Ok(()),
        other => Err(ApiError::not_found(format!("No such container: {other}"))),
    }
}

fn inspect(call: &Call) -> Result<Reply, ApiError> {
    shout(call)?;
    Ok(Reply::Json(
        200,
        json!({
            "Id": "shout", "Name": "/shout",
            "State": { "Status": "running", "Running": true, "Paused": false, "Restarting": false },
            "Config": { "Tty": false, "OpenStdin": true, "Image": "made-up" },
        }),
    ))
}

// ANCHOR: session
/// The made-up process: answer each line of input in capitals, until the client half-closes.
/// Input and output are the connection's two halves: a real container would read one on a
/// thread of its own while it writes the other.
fn session(conn: Hijacked, sessions: &Sessions) {
    let Hijacked {
        mut input,
        mut output,
    } = conn;
    let (mut line, mut buf) = (Vec::new(), [0u8; 4096]);
    while let Ok(n @ 1..) = input.read(&mut buf) {
        for &byte in &buf[..n] {
            line.push(byte.to_ascii_uppercase());
            if byte == b'\n' {
                let _ = write_frame(&mut output, StreamKind::Stdout, &line);
                line.clear();
            }
        }
    }
    let _ = write_frame(
        &mut output,
        StreamKind::Stderr,
        b"shout: input closed, bye\n",
    );
    let _ = output.flush();
    drop(output); // half-closing our side ends `docker attach`'s output
    let (ended, cond) = &**sessions;
    *ended.lock().unwrap() += 1;
    cond.notify_all();
}
// ANCHOR_END: session

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = Server::bind(&args.socket).context("starting the server")?;
    println!(
        "one made-up container, shout, on {}",
        server.socket().display()
    );
    println!(
        "try: echo hello | DOCKER_HOST=unix://{} docker attach shout",
        server.socket().display()
    );
    let sessions: Sessions = Arc::default();
    let (for_attach, for_wait) = (sessions.clone(), sessions);
    let containers = Router::new()
        .route("GET", "/containers/{id}/json", inspect)
        .route("POST", "/containers/{id}/attach", move |call| {
            shout(call)?;
            let sessions = for_attach.clone();
            Ok(Reply::Hijack {
                content_type: RAW_STREAM,
                session: Box::new(move |conn| session(conn, &sessions)),
            })
        })
        .route("POST", "/containers/{id}/wait", move |call| {
            shout(call)?;
            let sessions = for_wait.clone();
            let seen = *sessions.0.lock().unwrap();
            Ok(Reply::later(200, move || {
                let (ended, cond) = &*sessions;
                let _ended = cond.wait_while(ended.lock().unwrap(), |n| *n == seen);
                json!({ "StatusCode": 0, "Error": null })
            }))
        });
    let router = system::routes()
        .merge(containers)
        .negotiate(Negotiation::default());
    server.serve(router).context("serving")
}
