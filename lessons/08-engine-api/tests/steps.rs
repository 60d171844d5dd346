//! Each step run as a student would, driven by the real `docker` CLI (v28, first on the PATH)
//! and curl against the step's server on a socket in a temporary directory. Never touches
//! `/var/run/docker.sock`: every command gets its own `DOCKER_HOST` and `DOCKER_CONFIG`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A running step server; killed (by its pid) and reaped when dropped, even if a test fails.
struct StepServer {
    child: Child,
    dir: tempfile::TempDir,
}

impl StepServer {
    fn start(bin: &str) -> StepServer {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("engine.sock");
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(bin)
            .arg("--socket")
            .arg(&socket)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = StepServer { child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{bin} exited early ({status}):\n{}", server.log());
            }
            assert!(Instant::now() < deadline, "{bin} never created {socket:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("engine.sock")
    }

    /// What the server printed so far (one line per request it answered).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Runs the real docker CLI against this server only.
    fn docker(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("docker");
        cmd.args(args)
            .env("DOCKER_HOST", format!("unix://{}", self.socket().display()))
            .env("DOCKER_CONFIG", self.dir.path().join("docker-config"))
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT")
            .stdin(Stdio::null());
        cmd.envs(env.iter().copied());
        let out = cmd.output().expect("the docker CLI is on the PATH");
        eprintln!(
            "$ docker {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// curl -si over the socket: the status line, the headers and the body.
    fn curl(&self, args: &[&str]) -> String {
        curl(&self.socket(), args)
    }
}

impl Drop for StepServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn curl(socket: &Path, args: &[&str]) -> String {
    let out = Command::new("curl")
        .arg("-si")
        .arg("--unix-socket")
        .arg(socket)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "curl {args:?} failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn step_01_speaks_http_on_a_unix_socket() {
    let server = StepServer::start(env!("CARGO_BIN_EXE_01-unix-socket"));
    let meta = std::fs::symlink_metadata(server.socket()).unwrap();
    assert!(
        std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()),
        "the address is a socket file"
    );
    let reply = server.curl(&["http://x/_ping"]);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("GET /_ping HTTP/1.1"), "{reply}");
    assert!(
        reply.to_lowercase().contains("user-agent: curl/"),
        "{reply}"
    );

    // A second server on the same path is refused; the first keeps its socket.
    let second = Command::new(env!("CARGO_BIN_EXE_01-unix-socket"))
        .arg("--socket")
        .arg(server.socket())
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(text(&second.stderr).contains("another server is listening there"));
    assert!(server.curl(&["http://x/_ping"]).starts_with("HTTP/1.1 200"));
}

#[test]
fn step_02_docker_version_shows_our_server() {
    let server = StepServer::start(env!("CARGO_BIN_EXE_02-ping-version"));
    let head = server.curl(&["-I", "http://x/_ping"]);
    assert!(head.starts_with("HTTP/1.1 200"), "HEAD /_ping: {head}");
    let out = server.docker(&["version"], &[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Server: engineapi (lesson 08)"), "{stdout}");
    // No Api-Version header yet: the CLI falls back to the oldest API it knows.
    assert!(
        server.log().contains("GET /v1.24/version → 200"),
        "{}",
        server.log()
    );
    let missing = server.curl(&["http://x/containers/json"]);
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(
        missing.contains(r#"{"message":"page not found"}"#),
        "{missing}"
    );
}

#[test]
fn step_03_negotiates_down_to_1_41_and_refuses_what_is_out_of_range() {
    let server = StepServer::start(env!("CARGO_BIN_EXE_03-negotiate"));
    let ping = server.curl(&["http://x/_ping"]);
    assert!(ping.contains("Api-Version: 1.41"), "{ping}");

    let out = server.docker(&["version"], &[]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("1.41 (downgraded from 1.50)"));
    assert!(
        server.log().contains("GET /v1.41/version → 200"),
        "{}",
        server.log()
    );

    let unversioned = server.curl(&["http://x/version"]);
    assert!(unversioned.starts_with("HTTP/1.1 200"), "{unversioned}");
    assert!(
        unversioned.contains(r#""ApiVersion":"1.41""#),
        "{unversioned}"
    );

    let old = server.curl(&["http://x/v1.12/version"]);
    assert!(old.starts_with("HTTP/1.1 400"), "{old}");
    assert!(old.contains("Content-Type: application/json"), "{old}");
    assert!(
        old.contains(
            r#"{"message":"client version 1.12 is too old. Minimum supported API version is 1.24"#
        ),
        "{old}"
    );

    let pinned_old = server.docker(&["version"], &[("DOCKER_API_VERSION", "1.24")]);
    assert!(pinned_old.status.success());
    assert!(server.log().contains("GET /v1.24/version → 200"));

    let too_new = server.docker(&["version"], &[("DOCKER_API_VERSION", "1.51")]);
    assert_eq!(too_new.status.code(), Some(1));
    assert!(
        text(&too_new.stderr).contains(
            "Error response from daemon: client version 1.51 is too new. Maximum supported API version is 1.50"
        ),
        "{}",
        text(&too_new.stderr)
    );
}

#[test]
fn step_04_docker_logs_splits_stdout_and_stderr_by_the_frame_header() {
    let server = StepServer::start(env!("CARGO_BIN_EXE_04-logs-mux"));
    let out = server.docker(&["logs", "demo"], &[]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "hello from demo's stdout\ngoodbye from demo's stdout\n"
    );
    assert_eq!(text(&out.stderr), "a warning on demo's stderr\n");
    assert!(
        server.log().contains("GET /v1.41/containers/demo/logs?"),
        "{}",
        server.log()
    );

    // The raw body: an 8-byte header before each payload.
    let raw = Command::new("curl")
        .args(["-s", "--unix-socket"])
        .arg(server.socket())
        .arg("http://x/containers/demo/logs?stdout=1&stderr=1")
        .output()
        .unwrap()
        .stdout;
    let first = b"hello from demo's stdout\n";
    assert_eq!(&raw[..8], &[1, 0, 0, 0, 0, 0, 0, first.len() as u8]);
    assert_eq!(&raw[8..8 + first.len()], first);
    assert_eq!(raw[8 + first.len()], 2, "the second frame is stderr's");

    let missing = server.docker(&["logs", "nope"], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("Error response from daemon: No such container: nope"));
}

#[test]
fn step_05_attach_hijacks_the_connection_and_writes_after_the_half_close() {
    use std::io::{Read, Write};
    let server = StepServer::start(env!("CARGO_BIN_EXE_05-attach-hijack"));

    // The real CLI, input from a pipe.
    let mut cmd = Command::new("docker");
    let mut child = cmd
        .args(["attach", "shout"])
        .env(
            "DOCKER_HOST",
            format!("unix://{}", server.socket().display()),
        )
        .env("DOCKER_CONFIG", server.dir.path().join("docker-config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"hello\nworld\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "HELLO\nWORLD\n");
    assert_eq!(text(&out.stderr), "shout: input closed, bye\n");
    let log = server.log();
    let wait = log
        .find("POST /v1.41/containers/shout/wait → 200")
        .expect(&log);
    let attach = log.find("/containers/shout/attach?").expect(&log);
    assert!(
        wait < attach,
        "the CLI asks to wait before it attaches:\n{log}"
    );
    assert!(log.contains("stream=1 → 101"), "{log}");

    // By hand: the 101, then raw frames on the same socket after we half-close it.
    let mut conn = std::os::unix::net::UnixStream::connect(server.socket()).unwrap();
    conn.write_all(
        b"POST /v1.41/containers/shout/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n\
          Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\nquiet\n",
    )
    .unwrap();
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    let mut bytes = Vec::new();
    conn.read_to_end(&mut bytes).unwrap();
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = text(&bytes[..end]);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("Upgrade: tcp"), "{head}");
    assert!(
        head.contains("Content-Type: application/vnd.docker.raw-stream"),
        "{head}"
    );
    let mut rest = &bytes[end..];
    let (kind, data) = engineapi::mux::read_frame(&mut rest).unwrap().unwrap();
    assert_eq!(
        (kind, &data[..]),
        (engineapi::mux::StreamKind::Stdout, &b"QUIET\n"[..])
    );
}

#[test]
fn step_05_without_an_upgrade_the_output_is_a_200_body_and_there_is_no_input() {
    let server = StepServer::start(env!("CARGO_BIN_EXE_05-attach-hijack"));
    let reply = server.curl(&[
        "-X",
        "POST",
        "http://x/containers/shout/attach?stream=1&stdout=1&stderr=1",
    ]);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(
        reply.contains("Content-Type: application/vnd.docker.raw-stream"),
        "{reply}"
    );
    assert!(reply.ends_with("shout: input closed, bye\n"), "{reply}");
}

#[test]
fn a_body_over_the_limit_is_refused_with_413_before_it_is_read() {
    use std::io::{Read, Write};
    let server = StepServer::start(env!("CARGO_BIN_EXE_06-tiny-daemon"));
    let mut conn = std::os::unix::net::UnixStream::connect(server.socket()).unwrap();
    // Only the head: the declared length alone is over the limit.
    let head = format!(
        "POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        engineapi::server::MAX_BODY + 1
    );
    conn.write_all(head.as_bytes()).unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).unwrap();
    let reply = text(&reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("request body larger than"), "{reply}");
    assert!(
        server.log().contains("POST /containers/create → 413"),
        "{}",
        server.log()
    );
}

#[test]
fn step_06_docker_run_rm_runs_a_lesson_01_container() {
    let server = StepServer::start(env!("CARGO_BIN_EXE_06-tiny-daemon"));
    let out = server.docker(&["run", "--rm", "busybox", "echo", "hi"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "hi\n");

    // The calls the CLI made, in this order.
    let log = server.log();
    let order = [
        "POST /v1.41/containers/create → 201",
        "/attach?stderr=1&stdout=1&stream=1 → 101",
        "/wait?condition=removed → 200",
        "/start → 204",
    ];
    let at: Vec<usize> = order.iter().map(|s| log.find(s).expect(s)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{log}");
    // --rm: the daemon removed the container itself before answering wait.
    let id = log[at[1]..].split('/').nth(3).unwrap().to_string();
    let gone = server.curl(&[&format!("http://x/containers/{id}/json")]);
    assert!(gone.starts_with("HTTP/1.1 404"), "{gone}");

    // Its own UTS namespace: a different inode than ours (namespaces(7)).
    let ns = server.docker(
        &["run", "--rm", "busybox", "readlink", "/proc/self/ns/uts"],
        &[],
    );
    let host = std::fs::read_link("/proc/self/ns/uts").unwrap();
    assert!(ns.status.success());
    assert!(
        text(&ns.stdout).starts_with("uts:["),
        "{}",
        text(&ns.stdout)
    );
    assert_ne!(text(&ns.stdout).trim(), host.to_string_lossy());

    // Exit code and stderr travel back separately.
    let failing = server.docker(
        &[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "echo oops >&2; exit 3",
        ],
        &[],
    );
    assert_eq!(failing.status.code(), Some(3));
    assert_eq!(text(&failing.stdout), "");
    assert_eq!(text(&failing.stderr), "oops\n");

    // An image we do not have: create is 404, the CLI tries to pull, which we do not offer.
    let unknown = server.docker(&["run", "--rm", "alpine", "true"], &[]);
    assert_eq!(unknown.status.code(), Some(125));
    assert!(server.log().contains("POST /v1.41/containers/create → 404"));
}
