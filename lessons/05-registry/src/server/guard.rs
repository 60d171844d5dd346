//! The front door: turns away TLS handshakes at once, relays plain HTTP to the server.
//!
//! Clients told a registry is "insecure" (Docker, skopeo, podman) still try HTTPS first and
//! fall back to HTTP only when that fails. A plain HTTP server that waits for a request line
//! never sees one in a TLS ClientHello, so the client sits out its 10-second handshake timeout
//! on every connection. Peeking at the first byte (recv(2) with `MSG_PEEK`, via
//! `TcpStream::peek`) tells them apart: `0x16` starts a TLS handshake record; we close the
//! connection and the client falls back to HTTP immediately.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The first byte of a TLS record carrying a handshake (RFC 8446 §5.1, ContentType 22).
const TLS_HANDSHAKE: u8 = 0x16;

/// Accepts on `front` and relays each plain-HTTP connection to `inner` on two threads.
pub fn spawn(front: TcpListener, inner: SocketAddr, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        for client in front.incoming() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let Ok(client) = client else { continue };
            std::thread::spawn(move || relay(client, inner));
        }
    });
}

/// Stops the accept loop: set the flag, then connect once to wake accept(2).
pub fn stop(flag: &AtomicBool, front: SocketAddr) {
    flag.store(true, Ordering::Relaxed);
    let _ = TcpStream::connect(front);
}

fn relay(client: TcpStream, inner: SocketAddr) {
    let mut first = [0u8; 1];
    if matches!(client.peek(&mut first), Ok(1) if first[0] == TLS_HANDSHAKE) {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let Ok(server) = TcpStream::connect(inner) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(client_r), Ok(server_w)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let upstream = std::thread::spawn(move || pump(client_r, server_w));
    pump(server, client);
    let _ = upstream.join();
}

/// Copies until end of stream, then half-closes the writer (shutdown(2) `SHUT_WR`).
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
