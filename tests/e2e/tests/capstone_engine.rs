//! Decisions the engine layer owns (`capstone::Engine`), checked through the CLI: a kill is
//! recorded before `kill` returns, a workload's exit code survives a failed teardown, and
//! looking at a container whose monitor died changes nothing until an operation acts on it.

mod capstone_support;

use capstone_support::Engine;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

/// Polls `check` until it holds, failing the test after `deadline`.
fn wait_until(what: &str, deadline: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

#[test]
fn kill_returns_only_once_the_exit_is_recorded() {
    let engine = Engine::with_busybox();
    // Docker's `kill` (SIGKILL) returns once the container is dead and recorded, so the very
    // next inspect shows 137. A race shows up as a 0 or "running" in some rounds.
    for round in 0..8 {
        let id = engine.detached(&["busybox", "sleep", "1000"]);
        engine.ok(&["kill", &id]);
        let state = &engine.inspect(&id)["State"];
        assert_eq!(state["Status"], "exited", "round {round}: {state}");
        assert_eq!(state["ExitCode"], 137, "round {round}: {state}");
        engine.ok(&["rm", &id]);
    }
}

#[test]
fn run_rm_keeps_the_workloads_exit_code_when_teardown_fails() {
    let engine = Engine::with_busybox();
    // The container waits for a line on its stdin (which we hold), then exits 3.
    let mut child = engine
        .command(&[
            "run",
            "--rm",
            "-i",
            "--name",
            "pinned",
            "busybox",
            "sh",
            "-c",
            "read line; exit 3",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start capstone run");
    let mut id = String::new();
    wait_until("the container to run", Duration::from_secs(30), || {
        let run = engine.run(&["inspect", "pinned"]);
        if run.code == 0 {
            let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            id = v[0]["Id"].as_str().unwrap().to_string();
            return v[0]["State"]["Running"] == true;
        }
        false
    });
    // Removal renames the container's directory to `removing/<id>`; a non-empty directory
    // already there makes that rename(2) fail (ENOTEMPTY).
    let blocker = engine
        .root
        .path()
        .join("removing")
        .join(&id)
        .join("blocker");
    std::fs::create_dir_all(&blocker).unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"go\n").unwrap();
    } // closed: the container's `read` returns either way
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(
        stderr.contains("teardown incomplete") && stderr.contains(&id[..12]),
        "the failed teardown is reported: {stderr}"
    );
}

#[test]
fn ps_of_a_container_whose_monitor_died_shows_it_exited_and_writes_nothing() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let state = engine.inspect(&id)["State"].clone();
    let record = engine
        .root
        .path()
        .join("containers")
        .join(&id)
        .join("config.json");
    let pid = state["Pid"].as_i64().unwrap() as i32;
    // The monitor is the container's parent (field 4 of /proc/PID/stat, proc_pid_stat(5)).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let monitor: i32 = after_name.split(' ').nth(1).unwrap().parse().unwrap();
    // Both killed from outside, monitor first: nobody is left to record the exit.
    kill(Pid::from_raw(monitor), Signal::SIGKILL).unwrap();
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    wait_until("the container to die", Duration::from_secs(10), || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z"))
    });
    let before = std::fs::read(&record).unwrap();
    let ps = engine.ok(&["ps", "-a"]);
    assert!(ps.contains("Exited (255)"), "{ps}");
    assert_eq!(engine.inspect(&id)["State"]["ExitCode"], 255);
    assert_eq!(
        std::fs::read(&record).unwrap(),
        before,
        "ps and inspect must not write the record"
    );
    // An operation that acts on it records the death first, then removes it.
    engine.ok(&["rm", &id]);
    assert!(!record.exists());
}
