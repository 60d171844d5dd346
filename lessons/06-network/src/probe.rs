//! Probes: is something listening there yet? Wait for it, never sleep a fixed time.
//!
//! A server started in a container is ready when it accepts a TCP connection. Until then,
//! connect(2) fails at once (the container answers with a reset: "connection refused"), so
//! we try again until a deadline; each failure is an event, not a guess about timing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Connect to `addr`, retrying refused connections until `timeout` has passed; the last
/// error is returned if it never succeeds. Runs in the calling thread's network namespace.
pub fn connect_within(addr: SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match TcpStream::connect_timeout(&addr, left.max(Duration::from_millis(1))) {
            Ok(stream) => return Ok(stream),
            Err(e) if Instant::now() >= deadline => return Err(e),
            // Refused: nobody listens yet. Yield the CPU, then ask again.
            Err(_) => std::thread::yield_now(),
        }
    }
}

/// `GET /` over HTTP/1.0 to `addr` (waiting up to `timeout` for it to listen); returns the
/// whole response, status line and headers included.
pub fn http_get(addr: SocketAddr, timeout: Duration) -> std::io::Result<String> {
    let mut stream = connect_within(addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: lab\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}
