//! The dashboard's HTTP server (HTTP/1.1, RFC 9112, through `tiny_http`, as lessons 05 and 08
//! use it). Three routes:
//!
//! - `GET /`: the page (`dashboard.html`, everything inline: no CDN, works offline);
//! - `GET /api/room`: the room as JSON, which the page fetch()es every two seconds;
//! - `POST /api/report`: a student's report. Over [`MAX_BODY`] bytes is refused with 413
//!   before it is read; bad UTF-8 or bad JSON with 400 and the reason; a full room with 507.

use super::room::{Incoming, Room};
use crate::progress::now;
use std::io::Read;
use std::sync::{Arc, Mutex};

/// The largest report body accepted (a full `check --json` plus `doctor --json` is ~30 KiB).
pub const MAX_BODY: usize = 256 * 1024;

const PAGE: &str = include_str!("dashboard.html");

/// What to send back: status, content type, body.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The Content-Type header.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

fn reply(status: u16, content_type: &'static str, body: String) -> Reply {
    Reply {
        status,
        content_type,
        body,
    }
}

fn refuse(status: u16, why: &str) -> Reply {
    reply(
        status,
        "application/json",
        serde_json::json!({ "error": why }).to_string(),
    )
}

/// Answers one request. `body` is `None` when it was larger than [`MAX_BODY`].
pub fn answer(room: &mut Room, method: &str, url: &str, body: Option<&[u8]>) -> Reply {
    let path = url.split('?').next().unwrap_or(url);
    match (method, path) {
        ("GET", "/") => reply(200, "text/html; charset=utf-8", PAGE.to_string()),
        ("GET", "/api/room") => reply(200, "application/json", room.to_json(now()).to_string()),
        ("POST", "/api/report") => {
            let Some(body) = body else {
                return refuse(413, &format!("a report is at most {MAX_BODY} bytes"));
            };
            let Ok(text) = std::str::from_utf8(body) else {
                return refuse(400, "the report is not UTF-8");
            };
            let incoming: Incoming = match serde_json::from_str(text) {
                Ok(incoming) => incoming,
                Err(e) => return refuse(400, &format!("the report is not valid JSON: {e}")),
            };
            match room.apply(incoming, now()) {
                Ok(()) => reply(200, "application/json", r#"{"ok":true}"#.to_string()),
                Err(why) if why.contains("full") => refuse(507, &why),
                Err(why) => refuse(400, &why),
            }
        }
        (_, "/" | "/api/room" | "/api/report") => refuse(405, "method not allowed"),
        _ => refuse(404, "no such page"),
    }
}

/// Reads a request's body, or `None` if it is (or says it is) over [`MAX_BODY`]: never more
/// than `MAX_BODY + 1` bytes are read, whatever Content-Length claims.
fn read_body(request: &mut tiny_http::Request) -> std::io::Result<Option<Vec<u8>>> {
    if request.body_length().is_some_and(|n| n > MAX_BODY) {
        return Ok(None);
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)?;
    Ok((body.len() <= MAX_BODY).then_some(body))
}

/// Listens on `listen` (`ADDR:PORT`; port 0 picks a free one); also returns the address
/// bound, to print.
pub fn bind(listen: &str) -> anyhow::Result<(tiny_http::Server, String)> {
    let server = tiny_http::Server::http(listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let addr = server.server_addr().to_ip().map(|a| a.to_string());
    Ok((server, addr.unwrap_or_else(|| listen.to_string())))
}

/// Serves the room until the process ends, each request on its own thread: a student whose
/// machine stalls halfway through a report holds up only that report, and the room is
/// locked only to apply one. A client that sends garbage or hangs up gets its error (or
/// nothing); the server goes on.
pub fn serve(server: &tiny_http::Server, room: Room) {
    let room = Arc::new(Mutex::new(room));
    for mut request in server.incoming_requests() {
        let room = Arc::clone(&room);
        std::thread::spawn(move || {
            let body = read_body(&mut request);
            let mut room = room.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let answer = match body {
                Ok(body) => answer(
                    &mut room,
                    request.method().as_str(),
                    request.url(),
                    body.as_deref(),
                ),
                Err(e) => refuse(400, &format!("reading the body failed: {e}")),
            };
            drop(room);
            let header = tiny_http::Header::from_bytes("Content-Type", answer.content_type)
                .expect("a constant header is valid");
            let response = tiny_http::Response::from_string(answer.body)
                .with_status_code(answer.status)
                .with_header(header);
            // The student may have gone already; that is their loss, not the room's.
            let _ = request.respond(response);
        });
    }
}
