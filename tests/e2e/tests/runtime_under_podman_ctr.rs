//! `capstone-runtime` under the other real engines: `ctr run --runc-binary` through a private
//! containerd and its runc shim, and `podman --runtime` (through conmon). Each engine runs in a
//! network namespace the test makes, with its own state directories, and is stopped (or its
//! containers removed) when the test ends.
//!
//! Run: `CAPSTONE_BIN=$PWD/target/debug/capstone cargo test -p e2e --test runtime_under_podman_ctr`

mod runtime_support;

use harness::netns::TestNetns;
use runtime_support::capstone_support::busybox_tarball;
use runtime_support::runtime_bin;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A containerd of the test's own: a network and mount namespace (`/run` a private tmpfs, so
/// the shims' sockets and FIFOs are its alone), its own root, state, socket and config.
struct Containerd {
    child: Child,
    dir: tempfile::TempDir,
    /// Held for its Drop: it kills whatever is left in the namespace (shims).
    _netns: TestNetns,
}

impl Containerd {
    fn start() -> Containerd {
        let dir = tempfile::Builder::new()
            .prefix("containerd-")
            .tempdir()
            .unwrap();
        let d = dir.path().display();
        let config = format!(
            "version = 2\nroot = \"{d}/root\"\nstate = \"{d}/state\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = \"{d}/containerd.sock\"\n"
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        let netns = TestNetns::new();
        let child = netns
            .command("unshare")
            .args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg("mount -t tmpfs -o mode=0755 tmpfs /run && exec containerd --config \"$1\"")
            .arg("containerd-test")
            .arg(dir.path().join("config.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("log")).unwrap())
            .spawn()
            .expect("start containerd under unshare");
        let containerd = Containerd {
            child,
            dir,
            _netns: netns,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while containerd
            .ctr(&["version"])
            .status()
            .map(|s| !s.success())
            .unwrap_or(true)
        {
            assert!(
                Instant::now() < deadline,
                "containerd did not start: {}",
                containerd.log()
            );
            std::thread::yield_now();
        }
        containerd
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// `ctr` inside containerd's namespaces (its FIFOs live in its private `/run`).
    fn ctr(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args([
            "-t",
            &self.child.id().to_string(),
            "--mount",
            "--net",
            "ctr",
            "-a",
        ])
        .arg(self.dir.path().join("containerd.sock"))
        .args(args)
        .stdin(Stdio::null());
        cmd
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Shims, if any are left, die with the namespace guard (it kills every process in
        // it); the private /run and its mounts went with the mount namespace.
    }
}

/// An OCI image archive of the busybox rootfs, made by podman from the shared tarball.
fn busybox_with_podman(podman: &Podman) -> PathBuf {
    let tarball = busybox_tarball();
    podman.ok(&["import", tarball.path().to_str().unwrap(), "busybox"]);
    let archive = podman.dir.path().join("busybox-oci.tar");
    podman.ok(&["save", "-o", archive.to_str().unwrap(), "busybox"]);
    archive
}

/// podman with its own storage (vfs: no overlay mounts to leave behind), in a network
/// namespace of the test's own; its containers are removed on drop.
struct Podman {
    dir: tempfile::TempDir,
    netns: TestNetns,
}

impl Podman {
    fn new() -> Podman {
        Podman {
            dir: tempfile::Builder::new()
                .prefix("podman-")
                .tempdir()
                .unwrap(),
            netns: TestNetns::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.netns.command("podman");
        cmd.arg("--root")
            .arg(self.dir.path().join("root"))
            .arg("--runroot")
            .arg(self.dir.path().join("run"))
            .args(["--storage-driver", "vfs", "--cgroup-manager", "cgroupfs"])
            .args(["--events-backend", "none"])
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.command(args).output().unwrap();
        assert!(out.status.success(), "podman {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.command(&["rm", "-af"]).output();
    }
}

/// The `podman run` flags every test container gets: our runtime, no network, and limits
/// root here may set (it lacks CAP_SYS_RESOURCE, so podman's default 1048576 fails).
fn podman_run(runtime: &Path) -> Vec<String> {
    [
        "run",
        "--runtime",
        runtime.to_str().unwrap(),
        "--network",
        "none",
    ]
    .into_iter()
    .chain([
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
    ])
    .map(String::from)
    .collect()
}

#[test]
fn podman_runs_execs_and_stops_with_capstone_runtime() {
    let podman = Podman::new();
    podman.ok(&[
        "import",
        busybox_tarball().path().to_str().unwrap(),
        "busybox",
    ]);
    let bin = runtime_bin();
    let mut args = podman_run(&bin);
    args.extend(["--rm", "busybox", "sh", "-c", "echo hi from podman; exit 4"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = podman.command(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi from podman\n");
    let mut args = podman_run(&bin);
    args.extend(["-d", "busybox", "sleep", "1000"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let id = podman.ok(&args);
    let id = id.trim();
    let exec = podman.ok(&["exec", id, "cat", "/proc/1/comm"]);
    assert_eq!(exec.trim(), "sleep");
    assert_eq!(
        podman
            .ok(&["inspect", "--format", "{{.OCIRuntime}}", id])
            .trim(),
        bin.to_str().unwrap()
    );
    podman.ok(&["stop", "-t", "1", id]);
    podman.ok(&["rm", id]);
}

#[test]
fn ctr_runs_with_capstone_runtime_as_its_runc_binary() {
    let podman = Podman::new();
    let archive = busybox_with_podman(&podman);
    let containerd = Containerd::start();
    let import = containerd
        .ctr(&["images", "import", archive.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(import.status.success(), "{import:?}");
    let bin = runtime_bin();
    let out = containerd
        .ctr(&["run", "--rm", "--runc-binary", bin.to_str().unwrap()])
        .args(["localhost/busybox:latest", "ctr-test", "sh", "-c"])
        .arg("echo hi from ctr in $(hostname); exit 5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}\n{}", containerd.log());
    // ctr sets no hostname: the new UTS namespace keeps the host's, as runc leaves it.
    let host = nix::unistd::gethostname().unwrap();
    let want = format!("hi from ctr in {}\n", host.to_string_lossy());
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}

#[test]
fn podmans_network_namespace_is_joined_by_path() {
    // podman makes the network namespace itself (netavark plugs its bridge in) and hands the
    // runtime its path in `linux.namespaces`: capstone-runtime joins it with setns(2). One
    // command, in a mount namespace whose private `/run` holds podman's netns files.
    let podman = Podman::new();
    podman.ok(&[
        "import",
        busybox_tarball().path().to_str().unwrap(),
        "busybox",
    ]);
    let bin = runtime_bin();
    let dir = podman.dir.path();
    let script = format!(
        "mount -t tmpfs -o mode=0755 tmpfs /run && exec podman --root {root} --runroot {run} \
         --storage-driver vfs --cgroup-manager cgroupfs --events-backend none \
         run --rm --runtime {bin} --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
         busybox ip -o -4 addr show eth0",
        root = dir.join("root").display(),
        run = dir.join("run").display(),
        bin = bin.display()
    );
    let out = podman
        .netns
        .command("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            &script,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("eth0") && text.contains("inet "), "{text}");
}
