//! An HTTP/1.1 server on a unix(7) stream socket. The HTTP itself (parsing requests, keep-alive,
//! chunked bodies) is tiny_http's; this module adds what every Engine API response shares:
//! the `Api-Version`, `Server` and `Ostype` headers, JSON errors, streamed bodies whose headers
//! go out before the body exists, and the hijack. Each request gets its own thread, because some
//! (`wait`, `attach`) last as long as a container runs.

use crate::router::{Call, Reply, Router};
use crate::{ApiError, hijack};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tiny_http::{Header, Request, Response};

/// Bodies larger than this are refused with 413 (a create request is a few KiB).
pub const MAX_BODY: u64 = 16 << 20;

/// The server name sent in the `Server` header.
pub const SERVER_NAME: &str = concat!("engineapi/", env!("CARGO_PKG_VERSION"), " (linux)");

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// bind(2) on the socket path failed.
    #[error(
        "cannot listen on {path}: {why}: choose another path with --socket, or stop what holds it"
    )]
    Bind {
        /// The socket path.
        path: PathBuf,
        /// What tiny_http reported.
        why: String,
    },
}

/// A listening unix socket; the socket file is removed when the server is dropped.
pub struct Server {
    http: tiny_http::Server,
    socket: PathBuf,
}

impl Server {
    /// Listens on `socket`. A stale socket file left by a killed server is removed first; a
    /// socket some live server still answers on is left alone (that is an error).
    pub fn bind(socket: impl Into<PathBuf>) -> Result<Server, ServerError> {
        let socket = socket.into();
        if std::fs::symlink_metadata(&socket)
            .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))
        {
            if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                return Err(ServerError::Bind {
                    path: socket,
                    why: "another server is listening there".into(),
                });
            }
            let _ = std::fs::remove_file(&socket);
        }
        let http = tiny_http::Server::http_unix(&socket).map_err(|e| ServerError::Bind {
            path: socket.clone(),
            why: e.to_string(),
        })?;
        Ok(Server { http, socket })
    }

    /// The socket's path: clients use `DOCKER_HOST=unix://PATH`.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Waits for the next request (for steps that answer by hand).
    pub fn recv(&self) -> io::Result<Request> {
        self.http.recv()
    }

    /// Answers requests with `router` until the listener fails, one thread per request.
    pub fn serve(&self, router: Router) -> io::Result<()> {
        let router = Arc::new(router);
        loop {
            let request = self.http.recv()?;
            let router = Arc::clone(&router);
            std::thread::spawn(move || respond(&router, request));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// A header from a name and a value (both ASCII, as ours always are).
pub fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("ASCII header")
}

/// Turns one request into a [`Call`], dispatches it and writes the reply; logs one line to
/// stderr per request (`POST /v1.41/containers/create → 201`), so a student sees the traffic.
pub fn respond(router: &Router, mut request: Request) {
    let url = request.url().to_string();
    let headers = request
        .headers()
        .iter()
        .map(|h| (h.field.to_string(), h.value.to_string()))
        .collect();
    let (path, mut call) = Call::from_request(request.method().as_str(), &url, headers);
    let mut common = vec![
        header("Server", SERVER_NAME),
        header("Ostype", "linux"),
        header("Docker-Experimental", "false"),
    ];
    if let Some(v) = router.advertised() {
        common.push(header("Api-Version", &v.to_string()));
    }
    // On an upgrade request, tiny_http hands us the rest of the socket as the "body": it is
    // the raw stream that follows the 101, so only the request's own body (`Content-Length`
    // bytes: `exec start` sends `{"Detach":false,…}`) is read here. Left unread, those bytes
    // would make close(2) reset the connection (RFC 9293 §3.6) and the client lose output.
    let upgrade = call.headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("connection") && value.to_ascii_lowercase().contains("upgrade")
    });
    let length = call
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let read = if upgrade {
        request
            .as_reader()
            .take(length.min(MAX_BODY))
            .read_to_end(&mut call.body)
    } else {
        request
            .as_reader()
            .take(MAX_BODY + 1)
            .read_to_end(&mut call.body)
    };
    let reply = match read {
        Err(e) => Err(ApiError::bad_request(format!(
            "cannot read the request body: {e}"
        ))),
        Ok(n) if n as u64 > MAX_BODY => Err(ApiError::new(
            413,
            format!("request body larger than {MAX_BODY} bytes"),
        )),
        Ok(_) => router.dispatch(path, &mut call),
    };
    let status = match &reply {
        Ok(Reply::Json(s, _) | Reply::Text(s, _) | Reply::Empty(s)) => *s,
        Ok(Reply::Stream { status, .. }) => *status,
        Ok(Reply::Hijack { .. }) => 101,
        Err(e) => e.status,
    };
    // A log line must never cost the reply: eprintln! panics when stderr is a closed pipe.
    let _ = writeln!(io::stderr(), "{} {url} → {status}", call.method);
    let result = match reply {
        Err(e) => send(request, status, "application/json", e.body(), common),
        Ok(Reply::Json(s, v)) => send(request, s, "application/json", v.to_string(), common),
        Ok(Reply::Text(s, t)) => send(request, s, "text/plain; charset=utf-8", t, common),
        Ok(Reply::Empty(s)) => {
            let mut response = Response::empty(s);
            common.into_iter().for_each(|h| response.add_header(h));
            request.respond(response)
        }
        Ok(Reply::Stream {
            status,
            content_type,
            body,
        }) => {
            common.push(header("Content-Type", content_type));
            send_streaming(request, status, body, common)
        }
        Ok(Reply::Hijack {
            content_type,
            session,
        }) => {
            common.push(header("Content-Type", content_type));
            session(hijack::upgrade(request, common));
            Ok(())
        }
    };
    if let Err(e) = result {
        let _ = writeln!(
            io::stderr(),
            "{} {url}: the client went away: {e}",
            call.method
        );
    }
}

fn send(
    request: Request,
    status: u16,
    content_type: &str,
    body: String,
    headers: Vec<Header>,
) -> io::Result<()> {
    let mut response = Response::from_string(body).with_status_code(status);
    headers.into_iter().for_each(|h| response.add_header(h));
    response.add_header(header("Content-Type", content_type));
    request.respond(response)
}

/// Sends the status line and headers at once, then the body as it is produced, one chunk per
/// read (chunked transfer coding, RFC 9112 §7.1: a hexadecimal size line, the bytes, CRLF;
/// a zero-size chunk ends the body). tiny_http's own `respond` would keep the headers until
/// the body is complete, and its chunked encoder gathers 8 KiB before it sends a chunk: a
/// client that waits for the headers (the CLI's `wait` before its `start`) or for one log line
/// (`logs -f`) would wait forever. So this one function writes the response head itself.
fn send_streaming(
    request: Request,
    status: u16,
    mut body: Box<dyn Read + Send>,
    headers: Vec<Header>,
) -> io::Result<()> {
    let reason = tiny_http::StatusCode(status).default_reason_phrase();
    let mut out = request.into_writer();
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    for h in &headers {
        head.push_str(&format!("{}: {}\r\n", h.field, h.value));
    }
    head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    out.write_all(head.as_bytes())?;
    out.flush()?;
    let mut buf = vec![0u8; 32 << 10];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(format!("{n:X}\r\n").as_bytes())?;
        out.write_all(&buf[..n])?;
        out.write_all(b"\r\n")?;
        out.flush()?;
    }
    out.write_all(b"0\r\n\r\n")?;
    out.flush()
}
