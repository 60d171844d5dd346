//! Hijacking: taking an HTTP connection over for raw streams. `docker attach` (and `docker run`
//! without `-d`) sends `POST /containers/{id}/attach` with `Connection: Upgrade` and
//! `Upgrade: tcp`; the daemon answers `101` (moby writes `101 UPGRADED`) and from then on the
//! socket is no longer HTTP: the client writes the container's stdin, the daemon writes its
//! output (multiplexed with [`crate::mux`] unless the container has a TTY). When the client has
//! no more input it half-closes (shutdown(2) `SHUT_WR`); the daemon must keep writing until the
//! container's output ends. Upgrades are RFC 9110 §7.8; tiny_http supports them with
//! `Request::upgrade`, which is why this kit can use it for the Engine API.

use tiny_http::{Header, ReadWrite, Request, Response};

/// Content type of a raw (or, for a non-TTY container, multiplexed) attach stream.
pub const RAW_STREAM: &str = "application/vnd.docker.raw-stream";

// ANCHOR: upgrade
/// Answers `101` with `Upgrade: tcp` and the given headers, flushes, and returns the raw
/// connection, to read the client's input from and write output to.
pub fn upgrade(request: Request, headers: Vec<Header>) -> Box<dyn ReadWrite + Send> {
    let mut response = Response::empty(101);
    headers.into_iter().for_each(|h| response.add_header(h));
    request.upgrade("tcp", response)
}
// ANCHOR_END: upgrade
