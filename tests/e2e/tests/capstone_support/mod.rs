//! What the capstone's end-to-end tests share: the `capstone` binary (built once), an engine
//! with its own temporary `--root` and `--runroot` per test (removed, with every container in
//! it, when the test ends), and a busybox image imported with `capstone import` from a tarball
//! that GNU tar made of lesson 01's busybox root filesystem (in a temporary directory that
//! goes with the last test holding it: see [`busybox_tarball`]).
//!
//! Engine commands run inside a network namespace the test creates (the harness's
//! [`TestNetns`]), so the bridges, veth pairs, nftables rules and sysctls the engine makes
//! for its default `bridge` network never touch the machine's own; dropping the engine
//! deletes the namespace with everything in it. The verbs that only talk to registries
//! ([`HOST_NETWORK_VERBS`]) run in the test's own namespace instead, where the harness's
//! `docker-registry` listens on loopback; a test whose `run` must pull starts its registry
//! inside the engine's namespace with [`Engine::in_netns`].
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

pub use harness::netns::TestNetns;

/// The `capstone` executable: `CAPSTONE_BIN` if set; else the one cargo built beside this
/// test (`cargo test --workspace` builds every binary first) when it is newer than every
/// source file it is made from; else a fresh build into a target directory of its own. (Tests
/// of one package cannot name another package's binary, and a nested cargo on this test's own
/// target directory would wait forever for the lock the running `cargo test` holds.)
pub fn capstone_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("CAPSTONE_BIN") {
            return bin.into();
        }
        // <target>/<profile>/deps/<this test>
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let beside = profile_dir.join("capstone");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let sources = newest_mtime(&[
            workspace.join("capstone"),
            workspace.join("lessons"),
            workspace.join("Cargo.lock"),
        ]);
        if modified(&beside).is_some_and(|built| built >= sources) {
            return beside;
        }
        let target = profile_dir
            .parent()
            .expect("target dir")
            .join("capstone-e2e");
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "capstone", "--bin", "capstone"])
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&workspace)
            .status()
            .expect("run cargo build -p capstone");
        assert!(status.success(), "cargo build -p capstone failed");
        target.join("debug/capstone")
    })
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the files under `roots` (skipping `target` dirs).
fn newest_mtime(roots: &[PathBuf]) -> std::time::SystemTime {
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    let mut stack: Vec<PathBuf> = roots.to_vec();
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if path.file_name() == Some("target".as_ref()) {
                continue;
            }
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else if let Ok(m) = meta.modified() {
            newest = newest.max(m);
        }
    }
    newest
}

/// A tarball of the busybox root filesystem, made with GNU tar in a temporary directory of
/// its own (`capstone-e2e-…`), which is removed when the value drops.
pub struct BusyboxTarball {
    dir: tempfile::TempDir,
    tar: PathBuf,
}

impl BusyboxTarball {
    fn create() -> BusyboxTarball {
        let rootfs = namespaces::rootfs::busybox_rootfs().expect("busybox rootfs");
        let dir = tempfile::Builder::new()
            .prefix("capstone-e2e-")
            .tempdir()
            .unwrap();
        let tar = dir.path().join("busybox.tar");
        let status = Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .args(["--numeric-owner", "-cf"])
            .arg(&tar)
            .arg(".")
            .status()
            .expect("run tar");
        assert!(status.success(), "tar of the busybox rootfs failed");
        BusyboxTarball { dir, tar }
    }

    /// The tarball's path, valid while this value lives.
    pub fn path(&self) -> &Path {
        &self.tar
    }
}

/// The busybox tarball, shared by every test of this process that holds it at the same time
/// (tests run in parallel threads); the last holder to drop it removes it, whether its test
/// passed or panicked, and the next caller makes a fresh one. Keep the returned value alive
/// while the path is in use: an [`Engine`] made by [`Engine::with_busybox`] holds one.
pub fn busybox_tarball() -> Arc<BusyboxTarball> {
    static SHARED: Mutex<Weak<BusyboxTarball>> = Mutex::new(Weak::new());
    // A test that panicked while making one poisons the lock; what it guards is still sound.
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(tarball) = shared.upgrade() {
        return tarball;
    }
    let tarball = Arc::new(BusyboxTarball::create());
    *shared = Arc::downgrade(&tarball);
    tarball
}

/// Verbs that reach registries and make no container network: they run in the test's own
/// network namespace, where the harness's registries listen.
pub const HOST_NETWORK_VERBS: [&str; 6] = ["pull", "push", "login", "logout", "build", "search"];

/// An engine with its own state and its own network namespace; dropping it force-removes
/// every container, the state, and the namespace.
pub struct Engine {
    pub root: tempfile::TempDir,
    pub runroot: tempfile::TempDir,
    /// The "host" network namespace every command of this engine runs in (dropped last).
    pub netns: TestNetns,
    /// The busybox tarball this engine imported, kept for tests that use it again.
    busybox: Option<Arc<BusyboxTarball>>,
}

/// What one command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Engine {
    /// A fresh engine with no images.
    pub fn new() -> Engine {
        Engine {
            root: tempfile::Builder::new()
                .prefix("capstone-root-")
                .tempdir()
                .unwrap(),
            runroot: tempfile::Builder::new()
                .prefix("capstone-run-")
                .tempdir()
                .unwrap(),
            netns: TestNetns::new(),
            busybox: None,
        }
    }

    /// A fresh engine with the busybox image imported as `busybox` (default command `sh`).
    pub fn with_busybox() -> Engine {
        let mut engine = Engine::new();
        let tarball = busybox_tarball();
        let tar = tarball.path().to_str().unwrap();
        engine.ok(&["import", "--change", r#"CMD ["sh"]"#, tar, "busybox"]);
        engine.busybox = Some(tarball);
        engine
    }

    /// The command, with this engine's state directories, stdin from /dev/null, inside the
    /// engine's network namespace.
    pub fn command(&self, args: &[&str]) -> Command {
        let bin = capstone_bin().to_str().expect("capstone path is UTF-8");
        let on_host = args.first().is_some_and(|v| HOST_NETWORK_VERBS.contains(v));
        let mut cmd = if on_host {
            Command::new(bin)
        } else {
            self.netns.command(bin)
        };
        cmd.arg("--root")
            .arg(self.root.path())
            .arg("--runroot")
            .arg(self.runroot.path());
        cmd.args(args).stdin(Stdio::null());
        cmd
    }

    /// Runs `f` on a thread inside the engine's network namespace: a registry or server it
    /// starts there is what the engine's `run` reaches on 127.0.0.1.
    pub fn in_netns<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        self.netns.run(f)
    }

    /// A registry in the engine's network namespace holding busybox as `lab/busybox:v1`
    /// (pushed with skopeo); the directory keeps the image layout alive as long as needed.
    pub fn registry_with_busybox(&self) -> (harness::registry::Registry, tempfile::TempDir) {
        use harness::registry::image::{OCI_LAYER_TAR, OciLayout, busybox_layer};
        self.in_netns(|| {
            let registry = harness::registry::Registry::start(harness::registry::Auth::None);
            let dir = tempfile::tempdir().unwrap();
            let mut layout = OciLayout::new(dir.path());
            let image = layout.image("amd64", None, &[busybox_layer()], OCI_LAYER_TAR);
            registry.push_with_skopeo(&layout.name("v1", &image), "lab/busybox:v1", false);
            (registry, dir)
        })
    }

    /// Runs a command to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run capstone"))
    }

    /// Runs a command to completion with `input` written to its stdin (then closed).
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run capstone");
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(input.as_bytes())
            .expect("write to capstone's stdin");
        drop(stdin);
        Run::from(child.wait_with_output().expect("wait for capstone"))
    }

    /// `capstone login -u USER --password-stdin SERVER`, the password on its stdin.
    pub fn login(&self, server: &str, user: &str, password: &str) -> Run {
        let args = ["login", "-u", user, "--password-stdin", server];
        self.run_with_stdin(&args, &format!("{password}\n"))
    }

    /// Where the image store keeps the blob `digest` (`sha256:…` or bare hex).
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.root
            .path()
            .join("images/blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "capstone {args:?} failed: {run:?}");
        run.stdout
    }

    /// `inspect` of one container or image, parsed.
    pub fn inspect(&self, name: &str) -> serde_json::Value {
        let out = self.ok(&["inspect", name]);
        let mut list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        list.remove(0)
    }

    /// Imports, as `name`, lesson 01's busybox root filesystem after `change` has edited an
    /// unpacked copy of it (a hostile image, say): GNU tar packs the result.
    pub fn import_busybox_changed(&self, name: &str, change: impl FnOnce(&Path)) {
        let tree = tempfile::tempdir().unwrap();
        let untar = Command::new("tar")
            .arg("-xf")
            .arg(busybox_tarball().path())
            .arg("-C")
            .arg(tree.path())
            .status()
            .expect("run tar");
        assert!(untar.success(), "tar -x of the busybox tarball failed");
        change(tree.path());
        // Beside the tree, not in it; removed when `image` drops, even if the import fails.
        let image = tempfile::Builder::new().suffix(".tar").tempfile().unwrap();
        let pack = Command::new("tar")
            .arg("-C")
            .arg(tree.path())
            .args(["--numeric-owner", "-cf"])
            .arg(image.path())
            .arg(".")
            .status()
            .expect("run tar");
        assert!(pack.success(), "tar -c of the changed tree failed");
        self.ok(&["import", image.path().to_str().unwrap(), name]);
    }

    /// Starts a detached container and returns its id.
    pub fn detached(&self, args: &[&str]) -> String {
        let mut all = vec!["run", "-d"];
        all.extend_from_slice(args);
        self.ok(&all).trim().to_string()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let ids = self.run(&["ps", "-aq"]).stdout;
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids);
            let _ = self.run(&args);
        }
    }
}

/// `-v` options that run `program` (one of this package's binaries, `CARGO_BIN_EXE_…`) inside
/// a busybox container as `at`: the program, and the host's C library read-only where the
/// dynamically linked program looks for it.
pub fn host_program_mounts(program: &str, at: &str) -> Vec<String> {
    vec![
        "-v".into(),
        "/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro".into(),
        "-v".into(),
        "/usr/lib64:/lib64:ro".into(),
        "-v".into(),
        format!("{program}:{at}:ro"),
    ]
}

/// The host's mount table, to check nothing of ours is left mounted.
pub fn host_mounts() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

/// The directories a container's cgroup would have (v1: one per hierarchy we use; v2: one),
/// found beneath this process's own cgroups as the engine makes them.
pub fn cgroup_dirs(id: &str) -> Vec<PathBuf> {
    let name = format!("capstone-{id}");
    let mut dirs = Vec::new();
    for line in std::fs::read_to_string("/proc/self/cgroup")
        .unwrap()
        .lines()
    {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (
            parts.next(),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or("/"),
        );
        let sub = path.trim_start_matches('/');
        for controller in ["memory", "pids", "cpu", "freezer"] {
            if controllers.split(',').any(|c| c == controller) {
                dirs.push(
                    Path::new("/sys/fs/cgroup")
                        .join(controller)
                        .join(sub)
                        .join(&name),
                );
            }
        }
        if controllers.is_empty() && Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            dirs.push(Path::new("/sys/fs/cgroup").join(&name));
        }
    }
    dirs
}

/// The first of `files` that exists in one of the container's cgroup directories: the v1 name
/// and the v2 name of the same thing, e.g. `["memory.limit_in_bytes", "memory.max"]`.
pub fn cgroup_file(id: &str, files: &[&str]) -> PathBuf {
    let dirs = cgroup_dirs(id);
    dirs.iter()
        .flat_map(|dir| files.iter().map(move |file| dir.join(file)))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("none of {files:?} in the container's cgroups {dirs:?}"))
}

/// Polls `probe` until it returns `Some`, for at most a minute (a VM under software
/// emulation is slow).
pub fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The pids of live monitor processes (`capstone … __monitor ID`) of container `id`.
pub fn monitors_of(id: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        if args
            .windows(2)
            .any(|w| w[0] == b"__monitor" && w[1] == id.as_bytes())
        {
            pids.push(pid);
        }
    }
    pids
}

/// A private dockerd (its own netns, data root and socket: `harness::dockerd`) holding the
/// engine's `image`, copied over with `capstone save` and `docker load`: the same image on both
/// sides, for tests that ask real Docker what it does.
pub fn dockerd_with(engine: &Engine, image: &str) -> harness::dockerd::Dockerd {
    let dockerd = harness::dockerd::Dockerd::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = dir.path().join("image.tar");
    engine.ok(&["save", "-o", archive.to_str().expect("utf-8 path"), image]);
    dockerd.load(&archive);
    dockerd
}

/// `capstone compose ARGS…` in `dir`, with no `COMPOSE_FILE` or `COMPOSE_PROJECT_NAME` from
/// our environment.
pub fn compose(engine: &Engine, dir: &std::path::Path, args: &[&str]) -> Run {
    let mut all = vec!["compose"];
    all.extend_from_slice(args);
    Run::from(
        engine
            .command(&all)
            .current_dir(dir)
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROJECT_NAME")
            .output()
            .unwrap(),
    )
}

/// A shell script for a container run with `--memory 64m --pids-limit 50`: prints, from
/// `/sys/fs/cgroup`, its memory limit and its pids limit (v2: `memory.max`, `pids.max`; v1:
/// in the `memory` and `pids` directories), then tries to lower the pids limit, which a
/// read-only view refuses. Shared by the test that asks capstone alone and the one that asks
/// capstone and real Docker.
pub const READ_OWN_LIMITS: &str = "\
    cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; \
    f=/sys/fs/cgroup/pids.max; [ -d /sys/fs/cgroup/pids ] && f=/sys/fs/cgroup/pids/pids.max; \
    cat $f; echo 5 > $f";
