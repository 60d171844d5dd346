//! An HTTP/1.1 server on a unix(7) stream socket. The HTTP itself (parsing requests,
//! keep-alive, chunked bodies, upgrades) is hyper's, running on tokio; this module adds what
//! every Engine API response shares: the `Api-Version`, `Server` and `Ostype` headers, JSON
//! errors, the body size limits, streamed bodies whose headers go out before the body exists,
//! and the hijack ([`crate::hijack`]).
//!
//! tokio is an *asynchronous runtime*: a few worker threads run many tasks, each a state
//! machine (`async fn`) that gives its thread back whenever it would block (the socket has no
//! bytes yet), woken by epoll(7) when it can go on. hyper is an HTTP library written for it:
//! one task per connection. Our handlers stay plain blocking functions — some block as long as
//! a container runs (`wait`, `attach`) — so each runs on tokio's pool of blocking threads
//! (`spawn_blocking`), and the task serving its connection waits for it without holding a
//! worker thread.

use crate::body::{Body, streamed};
use crate::router::{Call, Reply, Router};
use crate::{ApiError, hijack, version};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bodies larger than this are refused with 413 (a create request is a few KiB).
pub const MAX_BODY: usize = 16 << 20;

/// The limit for the routes whose body is an archive (`POST /build` and `POST /images/load`
/// send a tar of a build context or of images, `POST /images/create?fromSrc=-` a root file
/// system for `docker import`, `PUT /containers/{id}/archive` a tar for `docker cp`): 1 GiB,
/// held in memory while the handler runs.
pub const MAX_UPLOAD: usize = 1 << 30;

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
        /// What bind(2) reported.
        why: String,
    },
}

/// A listening unix socket; the socket file is removed when the server is dropped.
pub struct Server {
    listener: std::os::unix::net::UnixListener,
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
        let listener =
            std::os::unix::net::UnixListener::bind(&socket).map_err(|e| ServerError::Bind {
                path: socket.clone(),
                why: e.to_string(),
            })?;
        Ok(Server { listener, socket })
    }

    /// The socket's path: clients use `DOCKER_HOST=unix://PATH`.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Answers requests with `router` until accept(2) fails: one tokio task per connection,
    /// each handler on a blocking thread of its own.
    pub fn serve(&self, router: Router) -> io::Result<()> {
        let listener = self.listener.try_clone()?;
        listener.set_nonblocking(true)?; // tokio waits for it with epoll(7)
        // A `wait` or an attach holds its blocking thread as long as its container runs, and
        // a request waiting for a free one would wait for them: far more than tokio's 512.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_io()
            .max_blocking_threads(4096)
            .build()?;
        let router = Arc::new(router);
        runtime.block_on(async move {
            let listener = tokio::net::UnixListener::from_std(listener)?;
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    // A client that gave up before we accepted: not the listener's failure.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                    Err(e) => return Err(e),
                };
                let router = Arc::clone(&router);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        respond(Arc::clone(&router), request)
                    });
                    let served = hyper::server::conn::http1::Builder::new()
                        .title_case_headers(true) // `Content-Type`, as Docker writes them
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                    if let Err(e) = served {
                        let _ = writeln!(io::stderr(), "a connection ended badly: {e}");
                    }
                });
            }
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// How large a body `method` on `url` may send: [`MAX_UPLOAD`] for the archive uploads,
/// [`MAX_BODY`] for everything else.
pub fn body_limit(method: &str, url: &str) -> usize {
    let path = url.split_once('?').map_or(url, |(path, _)| path);
    let (_, path) = version::split_path(path);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method, segments.as_slice()) {
        ("POST", ["build"] | ["images", "load" | "create"])
        | ("PUT", ["containers", _, "archive"]) => MAX_UPLOAD,
        _ => MAX_BODY,
    }
}

/// Turns one request into a [`Call`], dispatches it on a blocking thread and turns the reply
/// into a response; logs one line to stderr per request (`POST /v1.41/containers/create →
/// 201`), so a student sees the traffic.
async fn respond(
    router: Arc<Router>,
    mut request: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    // Taken before the request is consumed: resolves to the raw connection once the `101`
    // has gone out (RFC 9110 §7.8).
    let upgrade = hyper::upgrade::on(&mut request);
    let (parts, incoming) = request.into_parts();
    let url = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.to_string(), value)
        })
        .collect();
    let (path, mut call) = Call::from_request(parts.method.as_str(), url, headers);
    call.version = format!("{:?}", parts.version);
    let (path, method, url) = (path.to_string(), call.method.clone(), url.to_string());
    let limit = body_limit(&method, &url);
    // A declared `Content-Length` over the limit is refused before a byte of it is read.
    let declared = hyper::body::Body::size_hint(&incoming).lower();
    let too_large = || ApiError::new(413, format!("request body larger than {limit} bytes"));
    let read = match declared > limit as u64 {
        true => Ok(Err(too_large())),
        false => Limited::new(incoming, limit).collect().await.map(Ok),
    };
    let reply = match read {
        Ok(Err(e)) => Err(e),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(ApiError::bad_request(format!(
            "cannot read the request body: {e}"
        ))),
        Ok(Ok(body)) => {
            call.body = body.to_bytes().to_vec();
            let router = Arc::clone(&router);
            tokio::task::spawn_blocking(move || router.dispatch(&path, &mut call))
                .await
                .unwrap_or_else(|e| Err(ApiError::internal(format!("the handler failed: {e}"))))
        }
    };
    let (mut reply, mut extra_headers) = (reply, Vec::new());
    while let Ok(Reply::WithHeaders(headers, inner)) = reply {
        extra_headers.extend(headers);
        reply = Ok(*inner);
    }
    let upgrades = parts.headers.contains_key(hyper::header::UPGRADE);
    let status = match &reply {
        Ok(Reply::Json(s, _) | Reply::Text(s, _) | Reply::Empty(s)) => *s,
        Ok(Reply::Stream { status, .. }) => *status,
        Ok(Reply::Hijack { .. }) if upgrades => 101,
        Ok(Reply::Hijack { .. }) => 200,
        Ok(Reply::WithHeaders(..)) => 500, // unwrapped above
        Err(e) => e.status,
    };
    // A log line must never cost the reply: eprintln! panics when stderr is a closed pipe.
    let _ = writeln!(io::stderr(), "{method} {url} → {status}");
    let full = |text: String| Full::new(Bytes::from(text)).map_err(|e| match e {}).boxed();
    let (content_type, body) = match reply {
        Err(e) => (Some("application/json"), full(e.body())),
        Ok(Reply::Json(_, v)) => (Some("application/json"), full(v.to_string())),
        Ok(Reply::Text(_, t)) => (Some("text/plain; charset=utf-8"), full(t)),
        Ok(Reply::Empty(_) | Reply::WithHeaders(..)) => (None, full(String::new())),
        Ok(Reply::Stream {
            content_type, body, ..
        }) => (Some(content_type), streamed(body)),
        Ok(Reply::Hijack {
            content_type,
            session,
        }) if upgrades => {
            let label = format!("{method} {url}");
            tokio::spawn(hijack::take_over(upgrade, session, label));
            (Some(content_type), full(String::new()))
        }
        // A client that did not ask to upgrade (curl, say) gets the output as the body of a
        // 200 and sends no input, as moby does.
        Ok(Reply::Hijack {
            content_type,
            session,
        }) => match hijack::without_upgrade(session) {
            Ok(output) => (Some(content_type), streamed(output)),
            Err(e) => (None, full(format!("cannot make a pipe: {e}"))),
        },
    };
    let mut response = Response::builder()
        .status(status)
        .header("Server", SERVER_NAME)
        .header("Ostype", "linux")
        .header("Docker-Experimental", "false");
    if let Some(v) = router.advertised() {
        response = response.header("Api-Version", v.to_string());
    }
    for (name, value) in &extra_headers {
        response = response.header(name, value);
    }
    if let Some(content_type) = content_type {
        response = response.header("Content-Type", content_type);
    }
    if status == 101 {
        response = response
            .header("Connection", "Upgrade")
            .header("Upgrade", "tcp");
    }
    Ok(response.body(body).expect("valid status and ASCII headers"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_uploads_may_be_large_and_everything_else_is_small() {
        assert_eq!(body_limit("POST", "/v1.41/build?t=app"), MAX_UPLOAD);
        assert_eq!(body_limit("POST", "/images/load?quiet=1"), MAX_UPLOAD);
        assert_eq!(
            body_limit("POST", "/images/create?fromSrc=-&repo=app"),
            MAX_UPLOAD
        );
        assert_eq!(
            body_limit("PUT", "/v1.41/containers/abc/archive?path=/tmp"),
            MAX_UPLOAD
        );
        assert_eq!(body_limit("GET", "/containers/abc/archive"), MAX_BODY);
        assert_eq!(body_limit("POST", "/containers/create"), MAX_BODY);
        assert_eq!(body_limit("POST", "/build/more"), MAX_BODY);
    }
}
