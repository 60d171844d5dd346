//! A pretend registry for lesson 05's graders: an HTTP server on loopback inside a network
//! namespace of its own (network_namespaces(7)), so a grader never opens a port on the host.
//! It writes down every request it sees (path with query, `Authorization`), which is
//! what the graders check: what really went over the wire, not what the student's code printed.

use network::netns::NetNs;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The path with its query string, percent-decoded.
    pub url: String,
    /// The `Authorization` header, if one was sent.
    pub authorization: Option<String>,
}

/// What the server answers to one request.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Extra headers (`WWW-Authenticate`, `Docker-Content-Digest`, …).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A status with a body and no extra header.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds one header.
    pub fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// The running server; dropping it stops it (tiny_http's `unblock` ends the accept loop).
pub struct FakeRegistry {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Every request so far, in order.
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeRegistry {
    /// Starts the server on the calling thread's network namespace; `answer` decides each reply
    /// from the request and the server's own base URL.
    pub fn start(
        answer: impl Fn(&Seen, &str) -> Answer + Send + 'static,
    ) -> anyhow::Result<FakeRegistry> {
        let server = Arc::new(
            tiny_http::Server::http("127.0.0.1:0").map_err(|e| anyhow::anyhow!("listen: {e}"))?,
        );
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .unwrap_or_default();
        let base = format!("http://127.0.0.1:{port}");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (server2, seen2, base2) = (Arc::clone(&server), Arc::clone(&seen), base.clone());
        let thread = std::thread::spawn(move || {
            for request in server2.incoming_requests() {
                let request_seen = Seen {
                    url: percent_decode(request.url()),
                    authorization: request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("Authorization"))
                        .map(|h| h.value.to_string()),
                };
                seen2.lock().unwrap().push(request_seen.clone());
                let reply = answer(&request_seen, &base2);
                let mut response =
                    tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
                for (name, value) in reply.headers {
                    if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
                    {
                        response.add_header(h);
                    }
                }
                let _ = request.respond(response);
            }
        });
        Ok(FakeRegistry {
            server,
            thread: Some(thread),
            base,
            seen,
        })
    }

    /// The requests seen so far whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.url.starts_with(prefix))
            .cloned()
            .collect()
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `%3A` → `:` and so on (RFC 3986 percent-encoding), so the graders compare plain text.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs `f` in a fresh network namespace whose `lo` is up (ip-link(8) runs inside it): the
/// servers and clients `f` makes see only each other, and the kernel removes the namespace
/// with everything in it when `f` returns.
pub fn in_private_netns<T: Send>(f: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    let netns = NetNs::new()?;
    let status = netns
        .command("ip")
        .args(["link", "set", "lo", "up"])
        .status()?;
    anyhow::ensure!(status.success(), "ip link set lo up: {status}");
    Ok(netns.run(f)?)
}

/// `sha256:` and 64 random hex digits: a digest nobody can know before the run.
pub fn random_digest() -> String {
    let hex: String = (0..64)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect();
    format!("sha256:{hex}")
}
