//! A TCP proxy in front of a registry that breaks a blob download half-way, once.
//!
//! It forwards bytes both ways. The first blob answer (`GET /v2/…/blobs/sha256:…`) that
//! reaches `cut_after` bytes is cut there: both sockets are shut (shutdown(2)) — what a flaky
//! Wi-Fi does to a big layer. Smaller blobs and later requests pass untouched, so a client that retries with `Range` can finish. It also records every
//! request head, so tests can check a `Range` header was sent.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A running proxy on 127.0.0.1; stops accepting when dropped.
pub struct CuttingProxy {
    port: u16,
    stop: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl CuttingProxy {
    /// Proxies to `127.0.0.1:upstream`, cutting the first blob answer after `cut_after` bytes.
    pub fn start(upstream: u16, cut_after: usize) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy socket");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let armed = Arc::new(AtomicBool::new(true));
        let (stop2, cuts2, requests2) = (stop.clone(), cuts.clone(), requests.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (armed, cuts, requests) = (armed.clone(), cuts2.clone(), requests2.clone());
                std::thread::spawn(move || relay(client, server, cut_after, armed, cuts, requests));
            }
        });
        CuttingProxy {
            port,
            stop,
            cuts,
            requests,
        }
    }

    /// `127.0.0.1:PORT`, to use as the registry host.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many connections were cut (0 or 1).
    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::Relaxed)
    }

    /// The request heads seen (request line and headers).
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn relay(
    mut client: TcpStream,
    mut server: TcpStream,
    cut_after: usize,
    armed: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
) {
    // Bytes of the current answer, when the current request is a blob GET; reset per request.
    let blob_answer = Arc::new(Mutex::new(None::<usize>));
    let (mut client_r, mut server_w) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let current = blob_answer.clone();
    // client → server: watch request heads for a blob GET.
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = client_r.read(&mut buf) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            let methods = ["GET ", "HEAD ", "PUT ", "POST ", "PATCH "];
            if methods.iter().any(|m| text.starts_with(m)) {
                let head = text.split("\r\n\r\n").next().unwrap_or("").to_string();
                let blob = head.starts_with("GET ") && head.contains("/blobs/sha256:");
                *current.lock().unwrap() = blob.then_some(0);
                requests.lock().unwrap().push(head);
            }
            if server_w.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = server_w.shutdown(Shutdown::Write);
    });
    // server → client: count a blob answer's bytes and cut the first one that reaches
    // `cut_after` (a small blob, like a config, passes whole).
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = server.read(&mut buf) {
        if n == 0 {
            break;
        }
        let mut n = n;
        let mut cut = false;
        if let Some(sent) = blob_answer.lock().unwrap().as_mut() {
            if armed.load(Ordering::SeqCst) && *sent + n >= cut_after {
                n = cut_after - *sent;
                cut = armed.swap(false, Ordering::SeqCst);
            }
            *sent += n;
        }
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
        if cut {
            cuts.fetch_add(1, Ordering::Relaxed);
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
            return;
        }
    }
    let _ = client.shutdown(Shutdown::Write);
}
