//! What the `capstone daemon` tests share: a daemon started on a socket in a temporary
//! directory, over a test engine's root and inside its network namespace, and the real
//! `docker` CLI pointed at it (`DOCKER_HOST=unix://…`, a private `DOCKER_CONFIG`). Dropping
//! the [`Daemon`] sends it SIGTERM by pid and reaps it; the engine's own guard then removes
//! every container.
#![allow(dead_code)]

use crate::capstone_support::{Engine, Run};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A running `capstone daemon`.
pub struct Daemon {
    child: Child,
    dir: tempfile::TempDir,
    /// Everything it wrote on stderr (one line per request).
    log: Arc<Mutex<String>>,
}

impl Daemon {
    /// Starts `capstone daemon -H unix://DIR/docker.sock` for `engine` and returns once it
    /// says it listens (its first stderr line, printed after bind(2) and listen(2)).
    pub fn start(engine: &Engine) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("capstone-daemon-")
            .tempdir()
            .unwrap();
        let host = format!("unix://{}", dir.path().join("docker.sock").display());
        let mut child = engine
            .command(&["daemon", "-H", &host])
            .stderr(Stdio::piped())
            .spawn()
            .expect("start capstone daemon");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let mut first = String::new();
        lines
            .read_line(&mut first)
            .expect("read the daemon's stderr");
        assert!(
            first.contains("API listening on"),
            "the daemon did not start: {first:?}"
        );
        let log = Arc::new(Mutex::new(first));
        let sink = Arc::clone(&log);
        // Drained for as long as the daemon lives, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        std::fs::create_dir(dir.path().join("config")).unwrap();
        Daemon { child, dir, log }
    }

    /// The socket's path.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    /// The daemon's pid.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `docker ARGS` against this daemon, stdin from /dev/null.
    pub fn docker(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("docker");
        cmd.args(args)
            .env("DOCKER_HOST", format!("unix://{}", self.socket().display()))
            .env("DOCKER_CONFIG", self.dir.path().join("config"))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `docker ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.docker(args).output().expect("run docker"))
    }

    /// Runs `docker ARGS`, which must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(
            run.code,
            0,
            "docker {args:?} failed: {run:?}\ndaemon log:\n{}",
            self.log()
        );
        run.stdout
    }

    /// SIGTERM, then waits for it to exit; returns its exit code.
    pub fn stop(mut self) -> Option<i32> {
        self.terminate()
    }

    fn terminate(&mut self) -> Option<i32> {
        let pid = nix::unistd::Pid::from_raw(self.pid());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        self.child.wait().ok().and_then(|s| s.code())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}
