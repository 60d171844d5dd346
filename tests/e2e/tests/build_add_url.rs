//! `ADD <url>` in `capstone build`, against a tiny HTTP server on loopback started by the
//! test: Docker's semantics — the file is named after the URL when the destination ends in
//! `/`, has mode 0600 and the server's `Last-Modified` as mtime, is not extracted even when
//! it is a tar archive; it is downloaded again at every build and its content decides the
//! cache; an HTTP failure names the Dockerfile line. Images are read back with umoci.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;

use capstone_support::Engine;
use common::*;
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex};

const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
const LAST_MODIFIED_SECS: i64 = 1_445_412_480;

/// Files served at `/<name>` by a tiny_http server on 127.0.0.1; every request path is logged.
/// The server thread stops when this is dropped.
struct FileServer {
    server: Arc<tiny_http::Server>,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    log: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileServer {
    fn start() -> FileServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (s, f, l) = (server.clone(), files.clone(), log.clone());
        let thread = std::thread::spawn(move || {
            for request in s.incoming_requests() {
                let path = request.url().to_string();
                l.lock().unwrap().push(path.clone());
                let name = path.trim_start_matches('/').split('?').next().unwrap_or("");
                let body = f.lock().unwrap().get(name).cloned();
                let _ = match body {
                    Some(bytes) => {
                        let header =
                            tiny_http::Header::from_bytes("Last-Modified", LAST_MODIFIED).unwrap();
                        request.respond(tiny_http::Response::from_data(bytes).with_header(header))
                    }
                    None => request.respond(tiny_http::Response::empty(404)),
                };
            }
        });
        FileServer {
            server,
            files,
            log,
            thread: Some(thread),
        }
    }

    fn serve(&self, name: &str, bytes: impl Into<Vec<u8>>) {
        self.files.lock().unwrap().insert(name.into(), bytes.into());
    }

    fn url(&self, name: &str) -> String {
        let port = self.server.server_addr().to_ip().unwrap().port();
        format!("http://127.0.0.1:{port}/{name}")
    }

    fn requests_for(&self, name: &str) -> usize {
        let wanted = format!("/{name}");
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|p| **p == wanted)
            .count()
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A tar archive (made by GNU tar) holding `inner.txt`.
fn tar_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inner.txt"), "inside the archive\n").unwrap();
    let out = std::process::Command::new("tar")
        .arg("-C")
        .arg(dir.path())
        .args(["-cf", "-", "inner.txt"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn add_url_downloads_with_dockers_name_mode_mtime_and_no_extraction() {
    let http = FileServer::start();
    http.serve("hello.txt", "hello over http\n");
    let bundle = tar_bytes();
    http.serve("bundle.tar", bundle.clone());
    let engine = Engine::with_busybox();
    let ctx = context_with(&format!(
        "FROM busybox\nADD {} /downloads/\nADD {} /renamed.txt\nADD {} /downloads/\nADD --chmod=644 --chown=7:8 {} /opened.txt\n",
        http.url("hello.txt"),
        http.url("hello.txt"),
        http.url("bundle.tar"),
        http.url("hello.txt"),
    ));
    let run = capstone_build(&engine, ctx.path(), &["-t", "fromurl"]);
    assert_eq!(run.code, 0, "{run:?}");

    let dir = tempfile::tempdir().unwrap();
    unpack_ours(&engine, "docker.io/library/fromurl:latest", dir.path());
    let rootfs = dir.path().join("bundle/rootfs");
    let meta = |p: &str| std::fs::metadata(rootfs.join(p)).unwrap();
    // Destination ending in `/`: named after the URL's last segment.
    assert_eq!(
        std::fs::read_to_string(rootfs.join("downloads/hello.txt")).unwrap(),
        "hello over http\n"
    );
    assert_eq!(meta("downloads/hello.txt").mode() & 0o7777, 0o600);
    assert_eq!(meta("downloads/hello.txt").mtime(), LAST_MODIFIED_SECS);
    assert_eq!(
        (
            meta("downloads/hello.txt").uid(),
            meta("downloads/hello.txt").gid()
        ),
        (0, 0)
    );
    // Destination without `/`: it is the file's name.
    assert_eq!(
        std::fs::read_to_string(rootfs.join("renamed.txt")).unwrap(),
        "hello over http\n"
    );
    // A downloaded tar archive stays an archive.
    assert_eq!(
        std::fs::read(rootfs.join("downloads/bundle.tar")).unwrap(),
        bundle
    );
    assert!(
        !rootfs.join("downloads/inner.txt").exists(),
        "the archive was extracted"
    );
    assert!(
        !rootfs.join("inner.txt").exists(),
        "the archive was extracted"
    );
    // --chmod and --chown apply as to any ADD.
    assert_eq!(meta("opened.txt").mode() & 0o7777, 0o644);
    assert_eq!((meta("opened.txt").uid(), meta("opened.txt").gid()), (7, 8));
}

#[test]
fn add_url_is_downloaded_every_build_and_its_content_decides_the_cache() {
    let http = FileServer::start();
    http.serve("data.txt", "version one\n");
    let engine = Engine::with_busybox();
    let ctx = context_with(&format!(
        "FROM busybox\nADD {} /data.txt\nRUN cat /data.txt > /derived.txt\n",
        http.url("data.txt")
    ));
    let cached_lines = |stdout: &str| stdout.matches("--> CACHED").count();

    let first = capstone_build(&engine, ctx.path(), &["-t", "urlcache"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(cached_lines(&first.stdout), 0, "{}", first.stdout);

    let same = capstone_build(&engine, ctx.path(), &["-t", "urlcache"]);
    assert_eq!(same.code, 0, "{same:?}");
    assert_eq!(
        cached_lines(&same.stdout),
        2,
        "unchanged content must hit: {}",
        same.stdout
    );
    assert_eq!(
        http.requests_for("data.txt"),
        2,
        "Docker downloads again to check"
    );

    http.serve("data.txt", "version two\n");
    let changed = capstone_build(&engine, ctx.path(), &["-t", "urlcache"]);
    assert_eq!(changed.code, 0, "{changed:?}");
    assert_eq!(
        cached_lines(&changed.stdout),
        0,
        "changed content must miss: {}",
        changed.stdout
    );
    let out = engine.ok(&["run", "--rm", "urlcache", "cat", "/derived.txt"]);
    assert_eq!(out, "version two\n");
}

#[test]
fn add_url_http_failure_names_the_line_and_leaves_nothing() {
    let http = FileServer::start();
    let engine = Engine::with_busybox();
    let missing = http.url("missing.txt");
    let ctx = context_with(&format!("FROM busybox\nRUN true\nADD {missing} /x\n"));
    let run = capstone_build(&engine, ctx.path(), &["-t", "urlfail"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "dockerfile line 3: ADD {missing} /x: cannot download {missing}: the server answered HTTP 404"
        )),
        "{}",
        run.stderr
    );
    assert_nothing_left(&engine, "urlfail");

    // COPY never fetches, and a URL with local files in one ADD is refused, naming the line.
    for (line, expected) in [
        (format!("COPY {missing} /x"), "a URL source needs ADD"),
        (
            format!("ADD {missing} Dockerfile /x/"),
            "a URL source needs ADD",
        ),
    ] {
        let ctx = context_with(&format!("FROM busybox\n{line}\n"));
        let run = capstone_build(&engine, ctx.path(), &["-t", "urlfail"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr
                .contains(&format!("dockerfile line 2: {line}: {expected}")),
            "{}",
            run.stderr
        );
    }
}

/// The sha256 of `bytes` as `sha256sum` (coreutils, not our code) computes it.
fn sha256sum(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("sha256sum")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    format!("sha256:{}", text.split_whitespace().next().unwrap())
}

#[test]
fn add_url_checksum_must_match_the_download() {
    let http = FileServer::start();
    http.serve("pinned.txt", "pinned content\n");
    let engine = Engine::with_busybox();
    let url = http.url("pinned.txt");

    let good = sha256sum(b"pinned content\n");
    let ctx = context_with(&format!(
        "FROM busybox\nADD --checksum={good} {url} /pinned.txt\n"
    ));
    let run = capstone_build(&engine, ctx.path(), &["-t", "pinned"]);
    assert_eq!(run.code, 0, "{run:?}");

    let bad = sha256sum(b"something else\n");
    let ctx = context_with(&format!(
        "FROM busybox\nADD --checksum={bad} {url} /pinned.txt\n"
    ));
    let run = capstone_build(&engine, ctx.path(), &["-t", "mispinned"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "dockerfile line 2: ADD --checksum={bad} {url} /pinned.txt: {url}: checksum mismatch: --checksum says {bad}, the download is {good}"
        )),
        "{}",
        run.stderr
    );
    assert_nothing_left(&engine, "mispinned");
}
