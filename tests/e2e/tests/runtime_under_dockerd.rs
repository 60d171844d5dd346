//! `capstone-runtime` as dockerd's default runtime: Debian's dockerd (in a network and mount
//! namespace of the test's own) → its containerd → containerd's runc shim → our binary.
//! The runtime is called through a wrapper that records each command line, so the test sees
//! which of runc's commands the shim used, as well as what the docker CLI shows.
//!
//! Run: `CAPSTONE_BIN=$PWD/target/debug/capstone cargo test -p e2e --test runtime_under_dockerd`

mod runtime_support;

use harness::dockerd::Dockerd;
use runtime_support::capstone_support::Engine;
use std::os::unix::fs::PermissionsExt;

/// dockerd with `capstone` (our runtime behind a recording wrapper) as default runtime, and
/// the busybox image loaded; the temporary directory holds the wrapper and its record.
fn dockerd_with_our_runtime() -> (Dockerd, tempfile::TempDir) {
    let dir = tempfile::Builder::new()
        .prefix("runtime-dockerd-")
        .tempdir()
        .unwrap();
    let calls = dir.path().join("calls.log");
    let wrapper = dir.path().join("capstone-runtime");
    let script = format!(
        "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
        calls.display(),
        runtime_support::runtime_bin().display()
    );
    std::fs::write(&wrapper, script).unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = serde_json::json!({
        "runtimes": {"capstone": {"path": wrapper}},
        "default-runtime": "capstone"
    });
    let dockerd = Dockerd::start_with_config(&config.to_string());
    let engine = Engine::with_busybox();
    let archive = dir.path().join("busybox.tar");
    engine.ok(&["save", "-o", archive.to_str().unwrap(), "busybox"]);
    dockerd.load(&archive);
    (dockerd, dir)
}

/// `pids.max` of the v1 pids cgroup process `pid` is in (`/proc/PID/cgroup`).
fn pids_max(pid: &str) -> String {
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let path = cgroups
        .lines()
        .find_map(|l| l.split_once(":pids:").map(|(_, p)| p.to_string()))
        .expect("a pids cgroup");
    let file = format!("/sys/fs/cgroup/pids{path}/pids.max");
    std::fs::read_to_string(&file).unwrap().trim().to_string()
}

fn calls(dir: &tempfile::TempDir) -> String {
    std::fs::read_to_string(dir.path().join("calls.log")).unwrap_or_default()
}

#[test]
fn docker_run_exec_logs_pause_kill_go_through_capstone_runtime() {
    let (dockerd, dir) = dockerd_with_our_runtime();
    assert_eq!(
        dockerd
            .ok(&["info", "--format", "{{.DefaultRuntime}}"])
            .trim(),
        "capstone"
    );
    // A foreground run: its output and its exit code come back through the shim.
    let out = dockerd
        .docker()
        .args(["run", "--rm", "--network", "none", "busybox", "sh", "-c"])
        .arg("echo hello from $(hostname | cut -c1-4); exit 3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}\n{}", dockerd.log());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("hello from "));
    let recorded = calls(&dir);
    for verb in ["create", "start", "delete"] {
        assert!(
            recorded.contains(&format!(" {verb} ")),
            "no {verb} in:\n{recorded}"
        );
    }
    // A detached one: exec, logs, top, pause, unpause, kill.
    let id = dockerd.ok(&[
        "run",
        "-d",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "echo started; exec sleep 1000",
    ]);
    let id = id.trim();
    let exec = dockerd.ok(&["exec", id, "sh", "-c", "echo exec in $(cat /proc/1/comm)"]);
    assert_eq!(exec.trim(), "exec in sleep");
    assert!(dockerd.ok(&["logs", id]).contains("started"));
    assert!(dockerd.ok(&["top", id]).contains("sleep 1000"));
    dockerd.ok(&["pause", id]);
    let status = dockerd.ok(&["inspect", "--format", "{{.State.Status}}", id]);
    assert_eq!(status.trim(), "paused");
    dockerd.ok(&["unpause", id]);
    // `docker update` reaches the container's cgroup, as the kernel shows it.
    dockerd.ok(&["update", "--pids-limit", "77", id]);
    let pid = dockerd.ok(&["inspect", "--format", "{{.State.Pid}}", id]);
    assert_eq!(pids_max(pid.trim()), "77");
    dockerd.ok(&["kill", id]);
    assert_eq!(dockerd.ok(&["wait", id]).trim(), "137");
    dockerd.ok(&["rm", id]);
    // `docker stop`: SIGTERM, then SIGKILL after the timeout (sh as pid 1 ignores SIGTERM).
    let id = dockerd.ok(&["run", "-d", "--network", "none", "busybox", "sleep", "1000"]);
    let id = id.trim();
    dockerd.ok(&["stop", "-t", "1", id]);
    let status = dockerd.ok(&["inspect", "--format", "{{.State.Status}}", id]);
    assert_eq!(status.trim(), "exited");
    dockerd.ok(&["rm", id]);
    let recorded = calls(&dir);
    for verb in ["exec", "pause", "resume", "kill", "update"] {
        assert!(
            recorded.contains(&format!(" {verb} ")),
            "no {verb} in:\n{recorded}"
        );
    }
}

#[test]
fn docker_run_t_gets_a_terminal_made_by_capstone_runtime() {
    let (dockerd, dir) = dockerd_with_our_runtime();
    let out = dockerd.ok(&["run", "--rm", "-t", "--network", "none", "busybox", "tty"]);
    assert!(out.trim().starts_with("/dev/pts/"), "{out:?}");
    assert!(calls(&dir).contains("--console-socket"), "{}", calls(&dir));
    // `docker exec -t`: a terminal for the joined process too, made inside the container.
    let id = dockerd.ok(&["run", "-d", "--network", "none", "busybox", "sleep", "1000"]);
    let id = id.trim();
    let out = dockerd.ok(&["exec", "-t", id, "tty"]);
    assert!(out.trim().starts_with("/dev/pts/"), "{out:?}");
    dockerd.ok(&["rm", "-f", id]);
}

#[test]
fn a_docker_network_is_plugged_in_by_dockerds_prestart_hook() {
    // dockerd plugs a container's network in from a `prestart` hook (libnetwork-setkey) that
    // the runtime runs while the process is held: the interface inside proves it ran.
    let (dockerd, _dir) = dockerd_with_our_runtime();
    dockerd.ok(&["network", "create", "--driver", "bridge", "runtime-net"]);
    let out = dockerd.ok(&[
        "run",
        "--rm",
        "--network",
        "runtime-net",
        "busybox",
        "ip",
        "-o",
        "-4",
        "addr",
        "show",
        "eth0",
    ]);
    let gateway = dockerd.ok(&[
        "network",
        "inspect",
        "--format",
        "{{(index .IPAM.Config 0).Subnet}}",
        "runtime-net",
    ]);
    let prefix: String = gateway.split('.').take(2).collect::<Vec<_>>().join(".");
    assert!(
        out.contains(&format!("inet {prefix}.")),
        "{out} (subnet {gateway})"
    );
    dockerd.ok(&["network", "rm", "runtime-net"]);
}
