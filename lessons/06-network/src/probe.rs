//! Probes: is something listening there yet? Wait for it, never sleep a fixed time.
//!
//! A server started in a container is ready when it accepts a TCP connection. Until then,
//! connect(2) fails at once (the container answers with a reset: "connection refused"), so
//! we try again until a deadline; each failure is an event, not a guess about timing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::NetNs;

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

/// A UDP echo server for one datagram on `port` inside namespace `ns`, waiting at most
/// `timeout` for it: the socket is made from a thread in `ns` (setns(2)) and stays there,
/// while the thread that answers runs in ours. busybox has no UDP server, so this stands in
/// for one in a container. Join the handle to see that it answered.
pub fn udp_echo_once(
    ns: &NetNs,
    port: u16,
    timeout: Duration,
) -> std::io::Result<JoinHandle<std::io::Result<()>>> {
    let server = ns
        .run(|| UdpSocket::bind(("0.0.0.0", port)))
        .map_err(std::io::Error::other)??;
    server.set_read_timeout(Some(timeout))?;
    Ok(std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        let (n, from) = server.recv_from(&mut buf)?;
        server.send_to(&buf[..n], from).map(|_| ())
    }))
}

/// Send `message` in one UDP datagram to `addr` from 127.0.0.1 and return the reply, waiting
/// at most `timeout` for it (SO_RCVTIMEO, socket(7)). Runs in the calling thread's namespace.
pub fn udp_ask(addr: SocketAddr, message: &str, timeout: Duration) -> std::io::Result<String> {
    let client = UdpSocket::bind("127.0.0.1:0")?;
    client.set_read_timeout(Some(timeout))?;
    client.send_to(message.as_bytes(), addr)?;
    let mut buf = [0u8; 512];
    let (n, _) = client.recv_from(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}
