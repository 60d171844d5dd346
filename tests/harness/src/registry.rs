//! A real registry for tests: Debian's `docker-registry` (distribution 2.8) on a free loopback
//! port, with its own temporary storage, in one of three auth modes:
//!
//! - [`Auth::None`]: anyone may pull and push;
//! - [`Auth::Basic`]: htpasswd users (bcrypt, made with `htpasswd -B`);
//! - [`Auth::Token`]: Docker Hub's flow — the registry answers `401` with a Bearer challenge
//!   pointing at a token server ([`token::TokenIssuer`], ours, signing JWTs with `openssl`) whose
//!   certificate the registry trusts (`rootcertbundle`).
//!
//! Readiness is the registry's own "listening on" log line, then a `GET /v2/`: no sleeping.
//! Everything (process, token server, files) goes away when the [`Registry`] is dropped.
//! Test images are made with [`image::OciLayout`] and pushed with `skopeo copy`.

pub mod image;
pub mod proxy;
pub mod token;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Who may use the registry.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No authentication.
    None,
    /// HTTP Basic with one htpasswd user.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// Bearer tokens from a token server: anonymous users may pull, `user` may also push.
    Token {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
}

/// A running `docker-registry`; killed and its storage removed on drop.
pub struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    /// The token server, in [`Auth::Token`] mode.
    pub issuer: Option<token::TokenIssuer>,
    auth: Auth,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// A free TCP port on 127.0.0.1 (the kernel picks one for port 0; we release it at once).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port on loopback");
    listener.local_addr().expect("local address").port()
}

impl Registry {
    /// Starts `docker-registry` with `auth`, waiting (up to 20 s) until it answers `/v2/`.
    pub fn start(auth: Auth) -> Registry {
        let dir = tempfile::tempdir().expect("temporary directory for the registry");
        let port = free_port();
        let (auth_yaml, issuer) = auth_config(&auth, dir.path());
        let config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: lab-test-secret\n{auth_yaml}",
            storage = dir.path().join("storage").display(),
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start docker-registry (install it with scripts/setup-host.sh)");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = ready_tx.send(());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let registry = Registry {
            child,
            port,
            dir,
            issuer,
            auth,
            log,
        };
        if ready_rx.recv_timeout(Duration::from_secs(20)).is_err() {
            panic!(
                "docker-registry did not start:\n{}",
                registry.log().join("\n")
            );
        }
        let status = registry.v2_status();
        assert!(status == 200 || status == 401, "GET /v2/ answered {status}");
        registry
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The registry's storage root (distribution's `docker/registry/v2/…` layout lives under it).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Where the registry keeps a blob's bytes: `…/blobs/sha256/<2 hex>/<hex>/data`.
    pub fn blob_data_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// The registry's log lines so far (stderr).
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// `user:password` for skopeo's `--dest-creds`/`--src-creds`, when the registry has users.
    pub fn creds(&self) -> Option<String> {
        match &self.auth {
            Auth::None => None,
            Auth::Basic { user, password } | Auth::Token { user, password } => {
                Some(format!("{user}:{password}"))
            }
        }
    }

    /// `skopeo copy [--all] SRC docker://HOST/DEST`, with this registry's credentials.
    pub fn push_with_skopeo(&self, source: &str, dest: &str, all: bool) {
        let dest = format!("docker://{}/{dest}", self.host());
        let mut cmd = Command::new("skopeo");
        cmd.args([
            "copy",
            "--quiet",
            "--preserve-digests",
            "--dest-tls-verify=false",
        ]);
        if all {
            cmd.arg("--all");
        }
        if let Some(creds) = self.creds() {
            cmd.args(["--dest-creds", &creds]);
        }
        run(cmd.args([source, &dest]));
    }

    /// Status of a plain `GET /v2/` (HTTP/1.0 over a raw socket, so this needs no HTTP crate).
    pub fn v2_status(&self) -> u16 {
        http_status(self.port, "/v2/")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `auth:` section of the registry config, and the token server for token mode.
fn auth_config(auth: &Auth, dir: &Path) -> (String, Option<token::TokenIssuer>) {
    match auth {
        Auth::None => (String::new(), None),
        Auth::Basic { user, password } => {
            let htpasswd = dir.join("htpasswd");
            let out = run(Command::new("htpasswd").args(["-Bbn", user, password]));
            std::fs::write(&htpasswd, out).expect("write htpasswd");
            let yaml = format!(
                "auth:\n  htpasswd:\n    realm: lab-registry\n    path: {}\n",
                htpasswd.display()
            );
            (yaml, None)
        }
        Auth::Token { user, password } => {
            let issuer = token::TokenIssuer::start(dir, user, password);
            let yaml = format!(
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                issuer.realm(),
                token::SERVICE,
                token::ISSUER,
                issuer.cert_path().display()
            );
            (yaml, Some(issuer))
        }
    }
}

/// Runs a command, panicking with its stderr if it fails; returns stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The status code of `GET path` on 127.0.0.1:port.
pub fn http_status(port: u16, path: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to registry");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("send request");
    let mut head = String::new();
    stream.read_to_string(&mut head).expect("read response");
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
