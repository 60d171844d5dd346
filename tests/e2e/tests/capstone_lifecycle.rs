//! A container's life through the verbs: detached runs, `ps` and its STATUS strings, `logs`,
//! `stop`/`kill` and their exit codes, `pause`, `exec`, `wait`, `rm`, name conflicts, and state
//! that outlives the command that made it. Waiting is done with `capstone wait` (which blocks
//! on the monitor's pidfd), never with sleeps.

mod capstone_support;

use capstone_support::Engine;

#[test]
fn a_detached_container_is_listed_as_up_and_stops_with_137_after_the_timeout() {
    let engine = Engine::with_busybox();
    // sh as pid 1 has no SIGTERM handler, so the kernel ignores SIGTERM: stop must SIGKILL.
    let id = engine.detached(&["--name", "web", "busybox", "sleep", "1000"]);
    assert_eq!(id.len(), 64);
    let ps = engine.ok(&["ps"]);
    let row = ps
        .lines()
        .find(|l| l.ends_with("web"))
        .expect("web is listed");
    assert!(row.starts_with(&id[..12]), "{ps}");
    assert!(row.contains("Up "), "{ps}");
    assert!(row.contains("\"sleep 1000\""), "{ps}");
    engine.ok(&["stop", "-t", "1", "web"]);
    let state = &engine.inspect("web")["State"];
    assert_eq!(state["Status"], "exited");
    assert_eq!(state["ExitCode"], 137);
    let ps = engine.ok(&["ps"]);
    assert!(
        ps.starts_with("CONTAINER ID") && ps.lines().count() == 1,
        "ps without -a shows only running containers: {ps}"
    );
    assert!(engine.ok(&["ps", "-a"]).contains("Exited (137)"));
}

#[test]
fn with_init_stop_ends_the_command_with_sigterm_143() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["--init", "busybox", "sleep", "1000"]);
    engine.ok(&["stop", "-t", "30", &id]);
    assert_eq!(engine.inspect(&id)["State"]["ExitCode"], 143);
}

#[test]
fn kill_sends_the_signal_and_wait_reports_the_exit_code() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    engine.ok(&["kill", "-s", "KILL", &id]);
    assert_eq!(engine.ok(&["wait", &id]).trim(), "137");
}

#[test]
fn logs_hold_stdout_and_stderr_with_timestamps_and_tail() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sh", "-c", "echo one; echo two >&2; echo three"]);
    assert_eq!(engine.ok(&["wait", &id]).trim(), "0");
    let logs = engine.run(&["logs", &id]);
    assert_eq!(logs.stdout, "one\nthree\n");
    assert_eq!(logs.stderr, "two\n");
    // Lines of one stream keep their order (two streams may interleave either way).
    let counter = engine.detached(&["busybox", "seq", "1", "5"]);
    assert_eq!(engine.ok(&["wait", &counter]).trim(), "0");
    assert_eq!(engine.ok(&["logs", "--tail", "2", &counter]), "4\n5\n");
    let stamped = engine.ok(&["logs", "-t", &id]);
    let first = stamped.lines().next().unwrap();
    let (time, text) = first.split_once(' ').unwrap();
    assert_eq!(text, "one");
    assert!(
        time.ends_with('Z') && time.contains('T'),
        "RFC 3339 time: {first}"
    );
}

#[test]
fn logs_follow_returns_once_the_container_exits() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
        "busybox",
        "sh",
        "-c",
        "echo first; read x < /dev/null; echo last",
    ]);
    let out = engine.ok(&["logs", "-f", &id]);
    assert_eq!(out, "first\nlast\n");
}

#[test]
fn a_name_in_use_is_refused() {
    let engine = Engine::with_busybox();
    engine.ok(&["create", "--name", "db", "busybox", "true"]);
    let run = engine.run(&["run", "--name", "db", "busybox", "true"]);
    assert_eq!(run.code, 125);
    assert!(run.stderr.contains("is already in use"), "{run:?}");
}

#[test]
fn rm_of_a_running_container_is_refused_and_rm_f_kills_it() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let pid = engine.inspect(&id)["State"]["Pid"].as_i64().unwrap();
    let run = engine.run(&["rm", &id]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("stop the container before removing or force remove"),
        "{run:?}"
    );
    engine.ok(&["rm", "-f", &id]);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the process is gone"
    );
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
}

#[test]
fn create_then_start_runs_the_container_and_rm_flag_removes_it_after() {
    let engine = Engine::with_busybox();
    let id = engine
        .ok(&["create", "--rm", "busybox", "sh", "-c", "exit 7"])
        .trim()
        .to_string();
    assert!(engine.ok(&["ps", "-a"]).contains("Created"));
    let run = engine.run(&["start", "-a", &id]);
    assert_eq!(run.code, 7, "{run:?}");
    assert_eq!(engine.ok(&["ps", "-aq"]), "", "--rm removed it");
}

#[test]
fn exec_joins_the_running_container() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["--hostname", "box", "-e", "A=1", "busybox", "sleep", "1000"]);
    let out = engine.ok(&[
        "exec",
        "-e",
        "B=2",
        &id,
        "sh",
        "-c",
        "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $A$B",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "box");
    assert_eq!(
        lines[1].trim(),
        "sleep 1000",
        "pid 1 of the container's PID namespace"
    );
    assert_eq!(lines[2], "12");
    assert_eq!(engine.run(&["exec", &id, "sh", "-c", "exit 5"]).code, 5);
}

#[test]
fn exec_reads_our_stdin_only_with_i() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let script = "cat; echo end";
    let without = engine.run_with_stdin(&["exec", &id, "sh", "-c", script], "typed\n");
    assert_eq!(without.code, 0, "{without:?}");
    assert_eq!(without.stdout, "end\n", "without -i stdin is /dev/null");
    let with = engine.run_with_stdin(&["exec", "-i", &id, "sh", "-c", script], "typed\n");
    assert_eq!(with.code, 0, "{with:?}");
    assert_eq!(with.stdout, "typed\nend\n", "-i passes our stdin through");
}

#[test]
fn pause_freezes_and_unpause_thaws() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    engine.ok(&["pause", &id]);
    assert_eq!(engine.inspect(&id)["State"]["Paused"], true);
    assert!(engine.ok(&["ps"]).contains("(Paused)"));
    assert_eq!(
        engine.run(&["exec", &id, "true"]).code,
        1,
        "exec into a paused container is refused"
    );
    engine.ok(&["unpause", &id]);
    assert_eq!(engine.inspect(&id)["State"]["Status"], "running");
    engine.ok(&["exec", &id, "true"]);
}

#[test]
fn state_outlives_the_cli_and_a_killed_container_is_recorded_by_its_monitor() {
    let engine = Engine::with_busybox();
    // The CLI that ran it has exited: only the monitor and the files remain.
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let pid = engine.inspect(&id)["State"]["Pid"].as_i64().unwrap() as i32;
    assert_eq!(engine.inspect(&id)["State"]["Running"], true);
    // Killed from outside, not through the engine.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert_eq!(engine.ok(&["wait", &id]).trim(), "137");
    assert_eq!(engine.inspect(&id)["State"]["Status"], "exited");
}

#[test]
fn restart_runs_it_again() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let first = engine.inspect(&id)["State"]["Pid"].as_i64().unwrap();
    engine.ok(&["restart", "-t", "0", &id]);
    let state = engine.inspect(&id)["State"].clone();
    assert_eq!(state["Running"], true);
    assert_ne!(state["Pid"].as_i64().unwrap(), first);
}

#[test]
fn ps_filters_by_name_and_quiet_prints_ids() {
    let engine = Engine::with_busybox();
    let a = engine.detached(&["--name", "alpha", "busybox", "sleep", "1000"]);
    engine.detached(&["--name", "beta", "busybox", "sleep", "1000"]);
    assert_eq!(
        engine.ok(&["ps", "-q", "--filter", "name=alph"]).trim(),
        &a[..12]
    );
    assert_eq!(engine.ok(&["ps", "-q"]).lines().count(), 2);
}

#[test]
fn ps_layout_matches_docker() {
    let engine = Engine::with_busybox();
    engine.ok(&["create", "--name", "snap", "busybox", "echo", "hello"]);
    let ps = engine.ok(&["ps", "-a"]);
    // Cells are separated by at least three spaces; redact the id and the age, the only
    // parts that change between runs.
    let cells = |line: &str| -> Vec<String> {
        line.split("   ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect()
    };
    let lines: Vec<&str> = ps.lines().collect();
    let mut row = cells(lines[1]);
    row[0] = "[id]".into();
    row[3] = "[age]".into();
    let redacted = format!("{}\n{}", cells(lines[0]).join(" | "), row.join(" | "));
    insta::assert_snapshot!(redacted);
}
