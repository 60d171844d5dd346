//! `update` changes a live container's limits in its cgroup's files (v1
//! `memory.limit_in_bytes`, `cpu.cfs_quota_us`, `pids.max`; v2 `memory.max`, `cpu.max`,
//! `pids.max`) and in its record, and its restart policy, which its monitor reads at the next
//! exit; bad input changes nothing.

mod capstone_support;

use capstone_support::{Engine, cgroup_file, eventually};

fn read(id: &str, files: &[&str]) -> String {
    std::fs::read_to_string(cgroup_file(id, files)).unwrap()
}

#[test]
fn update_writes_the_new_limits_into_the_live_cgroup_and_the_record() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
        "--memory",
        "64m",
        "--network",
        "none",
        "busybox",
        "sleep",
        "1000",
    ]);
    let out = engine.ok(&[
        "update",
        "--memory",
        "128m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "50",
        &id,
    ]);
    assert_eq!(out.trim(), id, "Docker prints each container it updated");
    let memory = read(&id, &["memory.limit_in_bytes", "memory.max"]);
    assert_eq!(memory.trim(), (128u64 << 20).to_string());
    let quota = read(&id, &["cpu.cfs_quota_us", "cpu.max"]);
    assert_eq!(quota.split_whitespace().next(), Some("50000"), "{quota}");
    assert_eq!(read(&id, &["pids.max"]).trim(), "50");
    let host = engine.inspect(&id)["HostConfig"].clone();
    assert_eq!(host["Memory"], 128u64 << 20);
    assert_eq!(host["NanoCpus"], 500_000_000u64);
    assert_eq!(host["PidsLimit"], 50);
}

#[test]
fn bad_input_changes_nothing() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
        "--pids-limit",
        "20",
        "--network",
        "none",
        "busybox",
        "sleep",
        "1000",
    ]);
    let run = engine.run(&["update", "--pids-limit", "30", "--memory", "lots", &id]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("lots"),
        "the error names the bad value: {run:?}"
    );
    assert_eq!(read(&id, &["pids.max"]).trim(), "20");
    assert_eq!(engine.inspect(&id)["HostConfig"]["PidsLimit"], 20);
    let run = engine.run(&["update", "--pids-limit", "-1", &id]);
    assert!(run.stderr.contains("stop it first"), "{run:?}");
}

#[test]
fn update_restart_gives_a_running_container_a_policy_its_monitor_follows() {
    let engine = Engine::with_busybox();
    // First run: waits, and exits 7 on SIGUSR1. The second finds its mark and fails at once.
    let script = "echo run; [ -e /ran ] && exit 2; touch /ran; \
                  trap 'exit 7' USR1; echo ready; sleep 1000 & wait";
    let id = engine.detached(&["--network", "none", "busybox", "sh", "-c", script]);
    engine.ok(&["update", "--restart", "on-failure:1", &id]);
    let policy = engine.inspect(&id)["HostConfig"]["RestartPolicy"].clone();
    assert_eq!(policy["Name"], "on-failure");
    assert_eq!(policy["MaximumRetryCount"], 1);
    eventually("the trap to be set", || {
        engine.ok(&["logs", &id]).contains("ready").then_some(())
    });
    // Not the stop signal, so not a stop by hand: the new policy restarts it, once.
    engine.ok(&["kill", "-s", "USR1", &id]);
    let inspect = eventually("the restart to end", || {
        let i = engine.inspect(&id);
        (i["State"]["Status"] == "exited").then_some(i)
    });
    assert_eq!(inspect["State"]["ExitCode"], 2);
    assert_eq!(inspect["RestartCount"], 1);
    assert_eq!(engine.ok(&["logs", &id]), "run\nready\nrun\n");
    assert_eq!(
        engine.ok(&["wait", &id]).trim(),
        "2",
        "an exited container's wait"
    );
}
