//! What the `capstone-runtime` tests share: the binary (beside the `capstone` one), bundles
//! made from lesson 01's busybox root filesystem with `runc spec`'s config, and a runtime
//! with its own temporary `--root` whose containers are force-deleted when it is dropped.
#![allow(dead_code)]

#[path = "../capstone_support/mod.rs"]
pub mod capstone_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `capstone-runtime`: `CAPSTONE_RUNTIME_BIN` if set, else the binary beside `capstone`.
pub fn runtime_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("CAPSTONE_RUNTIME_BIN") {
        return bin.into();
    }
    let bin = capstone_support::capstone_bin()
        .parent()
        .expect("the capstone binary's directory")
        .join("capstone-runtime");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p capstone` first (or set CAPSTONE_RUNTIME_BIN)",
        bin.display()
    );
    bin
}

/// A bundle: `runc spec`'s config.json, changed by the test, over a busybox rootfs.
pub struct Bundle {
    pub dir: tempfile::TempDir,
}

impl Bundle {
    /// A bundle whose process runs `args` (no terminal); `change` edits the config further.
    pub fn new(args: &[&str], change: impl FnOnce(&mut serde_json::Value)) -> Bundle {
        let dir = tempfile::Builder::new()
            .prefix("runtime-bundle-")
            .tempdir()
            .unwrap();
        namespaces::rootfs::build_busybox_rootfs(&dir.path().join("rootfs")).unwrap();
        let status = Command::new("runc")
            .arg("spec")
            .current_dir(dir.path())
            .status()
            .expect("runc spec");
        assert!(status.success());
        let path = dir.path().join("config.json");
        let mut config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        config["process"]["terminal"] = false.into();
        config["process"]["args"] = args.into();
        change(&mut config);
        std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        Bundle { dir }
    }

    /// The bundle directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// One OCI runtime (ours or a peer) with a `--root` of its own; every container it made is
/// force-deleted on drop, whether the test passed or not.
pub struct Runtime {
    pub program: PathBuf,
    pub root: tempfile::TempDir,
    ids: std::cell::RefCell<Vec<String>>,
}

/// What one command did.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Runtime {
    /// Ours.
    pub fn capstone() -> Runtime {
        Runtime::of(runtime_bin())
    }

    /// runc, from Debian's package.
    pub fn runc() -> Runtime {
        Runtime::of("runc".into())
    }

    fn of(program: PathBuf) -> Runtime {
        Runtime {
            program,
            root: tempfile::Builder::new()
                .prefix("runtime-root-")
                .tempdir()
                .unwrap(),
            ids: Default::default(),
        }
    }

    /// A short name for messages.
    pub fn name(&self) -> String {
        self.program
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// Runs `args` after `--root`, stdin closed, output captured in files (a created
    /// container keeps the caller's stdio, as with runc: pipes would stay open after the
    /// runtime exits). An id after a `create` or `run` is remembered for the clean-up.
    pub fn run(&self, args: &[&str]) -> Outcome {
        if let ["create" | "run", .., id] = args {
            self.ids.borrow_mut().push(id.to_string());
        }
        let stdout = tempfile::tempfile().unwrap();
        let stderr = tempfile::tempfile().unwrap();
        let status = Command::new(&self.program)
            .arg("--root")
            .arg(self.root.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout.try_clone().unwrap())
            .stderr(stderr.try_clone().unwrap())
            .status()
            .expect("start the runtime");
        let read = |mut file: std::fs::File| {
            use std::io::{Read, Seek};
            let mut text = String::new();
            file.rewind().unwrap();
            file.read_to_string(&mut text).unwrap();
            text
        };
        Outcome {
            code: status.code().unwrap_or(-1),
            stdout: read(stdout),
            stderr: read(stderr),
        }
    }

    /// [`Runtime::run`], which must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.code, 0, "{} {args:?}: {out:?}", self.name());
        out.stdout
    }

    /// `state ID`, parsed.
    pub fn state(&self, id: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["state", id])).unwrap()
    }

    /// Polls `state` until the status is `want` or 10 s pass (a killed process is reaped by
    /// init in its own time).
    pub fn wait_for_status(&self, id: &str, want: &str) -> serde_json::Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let state = self.state(id);
            if state["status"] == want || std::time::Instant::now() > deadline {
                return state;
            }
            std::thread::yield_now();
        }
    }
}

/// Polls `/proc/PID/comm` until it reads `want` or 10 s pass, and returns what it read last.
/// runc's `start` returns once its init has been told to go, not once it has exec'd: the
/// command's name shows a moment later.
pub fn wait_for_comm(pid: i32, want: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == want || std::time::Instant::now() > deadline {
            return comm.trim().to_string();
        }
        std::thread::yield_now();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        for id in self.ids.borrow().iter() {
            let _ = Command::new(&self.program)
                .arg("--root")
                .arg(self.root.path())
                .args(["delete", "--force", id])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}
