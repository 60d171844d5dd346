//! A test token server, like Docker Hub's `auth.docker.io/token`.
//!
//! `GET /token?service=…&scope=repository:NAME:pull,push` answers `{"token": JWT, "expires_in": N}`.
//! Anonymous callers get `pull` only; the configured user (HTTP Basic) gets what they ask for;
//! a wrong password gets `401`. The JWT is RS256-signed with a key made by `openssl req`, and
//! carries its certificate in the `x5c` header: distribution verifies that certificate against
//! its `rootcertbundle`, then the signature with the certificate's key.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// The `service` the registry is configured with (and the token's audience).
pub const SERVICE: &str = "lab-registry";
/// The `iss` claim the registry trusts.
pub const ISSUER: &str = "lab-token-issuer";

/// A running token server; stopped on drop.
pub struct TokenIssuer {
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
    port: u16,
    cert: PathBuf,
    issued: Arc<AtomicUsize>,
    /// Lifetime of the tokens it issues, in seconds (`expires_in`).
    pub expires_in: Arc<AtomicU64>,
}

impl TokenIssuer {
    /// Makes a key and self-signed certificate in `dir` with openssl(1) and starts serving.
    pub fn start(dir: &Path, user: &str, password: &str) -> TokenIssuer {
        let key = dir.join("issuer.key");
        let cert = dir.join("issuer.crt");
        super::run(
            Command::new("openssl")
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                ])
                .args([
                    "-subj",
                    "/CN=lab-token-issuer",
                    "-keyout",
                    key.to_str().unwrap(),
                    "-out",
                    cert.to_str().unwrap(),
                ]),
        );
        let der = super::run(Command::new("openssl").args([
            "x509",
            "-in",
            cert.to_str().unwrap(),
            "-outform",
            "DER",
        ]));
        let x5c = STANDARD.encode(der);
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("token server socket"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let issued = Arc::new(AtomicUsize::new(0));
        let expires_in = Arc::new(AtomicU64::new(300));
        let expected = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        let (srv, count, lifetime) = (server.clone(), issued.clone(), expires_in.clone());
        let thread = std::thread::spawn(move || {
            for request in srv.incoming_requests() {
                let authorization = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.to_string());
                let (status, body) = match authorization {
                    Some(a) if a != expected => (
                        401,
                        r#"{"details":"incorrect username or password"}"#.to_string(),
                    ),
                    auth => {
                        count.fetch_add(1, Ordering::Relaxed);
                        let secs = lifetime.load(Ordering::Relaxed);
                        let jwt = sign(&key, &x5c, request.url(), auth.is_some(), secs);
                        (
                            200,
                            format!(
                                r#"{{"token":"{jwt}","access_token":"{jwt}","expires_in":{secs}}}"#
                            ),
                        )
                    }
                };
                let header =
                    tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap();
                let response = tiny_http::Response::from_string(body)
                    .with_status_code(status)
                    .with_header(header);
                let _ = request.respond(response);
            }
        });
        TokenIssuer {
            server,
            thread: Some(thread),
            port,
            cert,
            issued,
            expires_in,
        }
    }

    /// The realm URL the registry sends in its challenge.
    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// The certificate the registry trusts.
    pub fn cert_path(&self) -> &Path {
        &self.cert
    }

    /// How many tokens were issued so far.
    pub fn issued(&self) -> usize {
        self.issued.load(Ordering::Relaxed)
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Builds and signs the JWT for the scopes in the query of `url`.
fn sign(key: &Path, x5c: &str, url: &str, authenticated: bool, lifetime: u64) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let mut access = Vec::new();
    for (name, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        if name != "scope" {
            continue;
        }
        let scope = percent_decode(value);
        for one in scope.split(' ') {
            let (kind, rest) = one.split_once(':').unwrap_or((one, ""));
            let (repo, actions) = rest.rsplit_once(':').unwrap_or((rest, ""));
            let allowed: Vec<&str> = actions
                .split(',')
                .filter(|a| authenticated || *a == "pull")
                .filter(|a| !a.is_empty())
                .collect();
            access.push(serde_json::json!({"type": kind, "name": repo, "actions": allowed}));
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": if authenticated { "student" } else { "" }, "aud": SERVICE,
        "exp": now + lifetime, "nbf": now - 1, "iat": now, "jti": format!("{now}-{}", rand_suffix()),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut openssl = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", key.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl dgst");
    openssl
        .stdin
        .take()
        .unwrap()
        .write_all(signing_input.as_bytes())
        .unwrap();
    let out = openssl.wait_with_output().expect("openssl signature");
    assert!(out.status.success(), "openssl dgst -sign failed");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(out.stdout))
}

fn rand_suffix() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
