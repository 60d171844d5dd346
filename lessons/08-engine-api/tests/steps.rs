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
