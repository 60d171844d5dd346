//! Restart policies (`--restart`), enforced by each container's own monitor: Docker's growing
//! back-off between restarts (seen in the host's uptime each run prints), `RestartCount` and
//! `HostConfig.RestartPolicy` in inspect, `Restarting (N) …` in ps, `stop`/`kill` ending the
//! restarts, and `start --all-restartable` for an init system after a reboot.
//!
//! Waiting is `capstone wait` (it blocks on the monitor's pidfd) or a poll with a deadline.

mod capstone_support;

use capstone_support::{Engine, eventually as poll, monitors_of};

#[test]
fn an_instantly_exiting_command_is_restarted_with_a_doubling_backoff_until_stopped() {
    let engine = Engine::with_busybox();
    // Each run prints the host's uptime (/proc/uptime is not namespaced) and fails at once.
    let id = engine.detached(&[
        "--restart",
        "always",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "cut -d' ' -f1 /proc/uptime; exit 3",
    ]);
    // The count goes up as a restart is decided: at 5, five runs are over.
    let inspect = poll("five runs", || {
        let i = engine.inspect(&id);
        (i["RestartCount"].as_u64().unwrap() >= 5).then_some(i)
    });
    assert_eq!(inspect["HostConfig"]["RestartPolicy"]["Name"], "always");
    assert_eq!(
        inspect["HostConfig"]["RestartPolicy"]["MaximumRetryCount"],
        0
    );
    let row = poll("ps to show it restarting", || {
        let ps = engine.ok(&["ps", "-a"]);
        ps.lines()
            .find(|l| l.contains("Restarting (3) "))
            .map(String::from)
    });
    assert!(row.starts_with(&id[..12]), "{row}");
    let restarting = poll("inspect to show it restarting", || {
        let i = engine.inspect(&id);
        (i["State"]["Restarting"] == true).then_some(i)
    });
    assert_eq!(restarting["State"]["Pid"], 0);
    assert_eq!(restarting["State"]["ExitCode"], 3);

    // The starts, from the uptimes: each gap is at least the back-off (100 ms, doubling).
    let logs = engine.ok(&["logs", &id]);
    let starts: Vec<f64> = logs.lines().map(|l| l.parse().unwrap()).collect();
    assert!(starts.len() >= 5, "{logs}");
    for (i, pair) in starts.windows(2).take(4).enumerate() {
        let gap = pair[1] - pair[0];
        let backoff = 0.1 * f64::from(1 << i);
        // /proc/uptime counts in hundredths of a second.
        assert!(gap >= backoff - 0.011, "gap {i} was {gap} s: {starts:?}");
    }

    engine.ok(&["stop", "-t", "1", &id]);
    let state = engine.inspect(&id)["State"].clone();
    assert_eq!(state["Status"], "exited", "{state}");
    assert_eq!(state["Restarting"], false);
    assert!(
        monitors_of(&id).is_empty(),
        "no monitor is left to restart it"
    );
}

#[test]
fn on_failure_restarts_only_failures_and_at_most_n_times() {
    let engine = Engine::with_busybox();
    let failing = engine.detached(&[
        "--restart",
        "on-failure:2",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "echo run; exit 1",
    ]);
    // After the first run and two restarts, the monitor gives up.
    let inspect = poll("the restarts to end", || {
        let i = engine.inspect(&failing);
        (i["State"]["Status"] == "exited").then_some(i)
    });
    assert_eq!(inspect["State"]["ExitCode"], 1);
    assert_eq!(inspect["RestartCount"], 2);
    assert_eq!(inspect["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(
        inspect["HostConfig"]["RestartPolicy"]["MaximumRetryCount"],
        2
    );
    assert_eq!(engine.ok(&["logs", &failing]), "run\nrun\nrun\n");

    let succeeding = engine.detached(&[
        "--restart",
        "on-failure",
        "--network",
        "none",
        "busybox",
        "true",
    ]);
    assert_eq!(engine.ok(&["wait", &succeeding]).trim(), "0");
    assert_eq!(engine.inspect(&succeeding)["RestartCount"], 0);
}

#[test]
fn wait_returns_when_the_run_ends_though_the_policy_starts_it_again() {
    let engine = Engine::with_busybox();
    // Fails at once, again and again: `wait` catches one of the runs ending, whenever it asks.
    let args = [
        "--restart",
        "always",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "exit 5",
    ];
    let id = engine.detached(&args);
    for _ in 0..3 {
        assert_eq!(engine.ok(&["wait", &id]).trim(), "5");
    }
    engine.ok(&["stop", &id]);
}

#[test]
fn kill_ends_the_restarts_of_a_running_container() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["--restart", "always", "busybox", "sleep", "1000"]);
    engine.ok(&["kill", &id]);
    let state = engine.inspect(&id)["State"].clone();
    assert_eq!(state["Status"], "exited", "{state}");
    assert_eq!(state["ExitCode"], 137);
    assert!(monitors_of(&id).is_empty());
    // A start by hand puts the policy back to work.
    engine.ok(&["start", &id]);
    assert_eq!(engine.inspect(&id)["State"]["Status"], "running");
}

#[test]
fn start_all_restartable_brings_back_what_a_reboot_ended_but_not_what_was_stopped() {
    let engine = Engine::with_busybox();
    let sleep = ["busybox", "sleep", "1000"];
    let run = |policy: &str, name: &str| {
        let mut args = vec!["--restart", policy, "--name", name];
        args.extend(sleep);
        engine.detached(&args)
    };
    let always = run("always", "always");
    let stopped = run("unless-stopped", "stopped");
    let crashed = run("unless-stopped", "crashed");
    let none = run("no", "none");
    engine.ok(&["stop", "-t", "0", &always, &stopped]);
    // A "reboot" of `crashed` and `none`: monitor and container die with nobody recording it.
    for id in [&crashed, &none] {
        let pid = engine.inspect(id)["State"]["Pid"].as_i64().unwrap() as i32;
        for monitor in monitors_of(id) {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(monitor),
                nix::sys::signal::SIGKILL,
            )
            .unwrap();
        }
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL).unwrap();
        poll("the kill to land", || {
            monitors_of(id).is_empty().then_some(())
        });
    }
    let out = engine.ok(&["start", "--all-restartable"]);
    let mut started: Vec<&str> = out.lines().collect();
    started.sort();
    let mut expected = vec![always.as_str(), crashed.as_str()];
    expected.sort();
    assert_eq!(
        started, expected,
        "always comes back even if stopped; unless-stopped only if not"
    );
    for (id, status) in [
        (&always, "running"),
        (&crashed, "running"),
        (&stopped, "exited"),
        (&none, "exited"),
    ] {
        assert_eq!(engine.inspect(id)["State"]["Status"], status, "{id}");
    }
}

#[test]
fn restart_policies_are_checked_at_create() {
    let engine = Engine::with_busybox();
    let run = engine.run(&["create", "--restart", "always", "--rm", "busybox"]);
    assert_eq!(run.code, 125, "{run:?}");
    assert!(run.stderr.contains("--restart and --rm"), "{run:?}");
    let run = engine.run(&["create", "--restart", "always:3", "busybox"]);
    assert!(
        run.stderr.contains("only be used with 'on-failure'"),
        "{run:?}"
    );
    let run = engine.run(&["create", "--restart", "sometimes", "busybox"]);
    assert!(run.stderr.contains("on-failure[:max-retries]"), "{run:?}");
    let id = engine.ok(&["create", "busybox"]);
    let policy = &engine.inspect(id.trim())["HostConfig"]["RestartPolicy"];
    assert_eq!(policy["Name"], "no");
}

/// Asks real Docker (Debian's dockerd, in a network namespace of the test's own): the restart
/// policy and health check read the same in `inspect`, and `ps` says `Restarting (3) …` and
/// `(health: starting)` as dockerd's does.
#[test]
fn restart_and_health_read_as_dockerds_do() {
    let engine = Engine::with_busybox();
    let dockerd = capstone_support::dockerd_with(&engine, "busybox");
    let both = |args: &[&str]| {
        let ours = engine.ok(args).trim().to_string();
        let theirs = dockerd.ok(args).trim().to_string();
        (ours, theirs)
    };
    let create = [
        "create",
        "--restart",
        "on-failure:2",
        "--health-cmd",
        "true",
        "--health-interval",
        "2s",
        "--health-retries",
        "4",
        "busybox",
        "sleep",
        "1000",
    ];
    let (ours, theirs) = both(&create);
    // Compared as JSON values: key order is Go's struct order there, sorted here.
    let parse = |text: String| -> serde_json::Value {
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    };
    for field in [
        "{{json .HostConfig.RestartPolicy}}",
        "{{json .Config.Healthcheck}}",
        "{{json .RestartCount}}",
        "{{json .State.Restarting}}",
    ] {
        assert_eq!(
            parse(engine.ok(&["inspect", "-f", field, &ours])),
            parse(dockerd.ok(&["inspect", "-f", field, &theirs])),
            "{field}"
        );
    }
    let flapping = [
        "run",
        "-d",
        "--restart",
        "always",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ];
    let starting = [
        "run",
        "-d",
        "--network",
        "none",
        "--health-cmd",
        "false",
        "--health-interval",
        "100ms",
        "--health-start-period",
        "1h",
        "busybox",
        "sleep",
        "1000",
    ];
    for (args, expected) in [
        (&flapping[..], "Restarting (3) "),
        (&starting[..], " (health: starting)"),
    ] {
        let (ours, theirs) = both(args);
        let status = |ps: String| ps.trim().to_string();
        let mine = poll(expected, || {
            let s = status(engine.ok(&[
                "ps",
                "-a",
                "--filter",
                &format!("id={ours}"),
                "--format",
                "{{.Status}}",
            ]));
            s.contains(expected).then_some(s)
        });
        let docker = poll(expected, || {
            let s = status(dockerd.ok(&[
                "ps",
                "-a",
                "--filter",
                &format!("id={theirs}"),
                "--format",
                "{{.Status}}",
            ]));
            s.contains(expected).then_some(s)
        });
        let shape = |s: &str| s.replace(char::is_numeric, "N");
        assert!(
            shape(&mine).starts_with(&shape(&docker)[..shape(&docker).find(' ').unwrap()]),
            "ours {mine:?}, dockerd's {docker:?}"
        );
        assert_eq!(
            mine.ends_with(')'),
            docker.ends_with(')'),
            "ours {mine:?}, dockerd's {docker:?}"
        );
        dockerd.ok(&["rm", "-f", &theirs]);
    }
    let state = "{{json .State.Health}}";
    let (ours, theirs) = both(&starting);
    let mine = poll("a probe", || {
        let h = engine.ok(&["inspect", "-f", state, &ours]);
        h.contains("ExitCode").then_some(h)
    });
    let docker = poll("a probe", || {
        let h = dockerd.ok(&["inspect", "-f", state, &theirs]);
        h.contains("ExitCode").then_some(h)
    });
    let keys = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let entry: Vec<String> = v["Log"][0].as_object().unwrap().keys().cloned().collect();
        (
            v["Status"].clone(),
            v["FailingStreak"].clone(),
            entry,
            v["Log"][0]["ExitCode"].clone(),
        )
    };
    assert_eq!(
        keys(&mine),
        keys(&docker),
        "ours {mine}, dockerd's {docker}"
    );
    dockerd.ok(&["rm", "-f", &theirs]);
}
