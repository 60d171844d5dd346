//! `capstone daemon`'s `GET /events` and its restart of containers at start, driven by the
//! real `docker` CLI: `docker events --since … --until …` replays a window and ends,
//! a following `docker events` sees a container start and die as they happen, and a
//! `--restart always` container whose monitor and process were killed while no daemon ran
//! is running again (a new process, checked in /proc) once the daemon starts.

mod capstone_support;
mod daemon_support;

use capstone_support::{Engine, eventually, monitors_of};
use daemon_support::Daemon;
use nix::sys::signal::{SIGKILL, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since 1970, as `docker events --since/--until` take them.
fn unix_seconds(at: SystemTime) -> String {
    at.duration_since(UNIX_EPOCH).unwrap().as_secs().to_string()
}

/// Whether `pid` is a live process (a zombie counts as gone).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[test]
fn docker_events_replays_a_window_and_follows_a_start_and_a_die() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let since = unix_seconds(SystemTime::now());
    daemon.ok(&["run", "--name", "once", "busybox", "true"]);
    let until = unix_seconds(SystemTime::now() + Duration::from_secs(1));
    // With `until`, the stream ends by itself once that time has passed.
    let window = daemon.ok(&[
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        "container=once",
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
    ]);
    let actions: Vec<&str> = window.lines().collect();
    let at = |line: &str| actions.iter().position(|l| *l == line);
    let (create, start, die) = (
        at("container create once"),
        at("container start once"),
        at("container die once"),
    );
    assert!(
        create.is_some() && create < start && start < die,
        "create, start, die in order: {window}"
    );
    // The engine's own log, read by the capstone CLI, says the same.
    let cli = engine.ok(&["events", "--since", &since, "--until", &until]);
    assert_eq!(
        cli.matches("container die").count(),
        window.matches("die").count()
    );

    let mut follower = daemon
        .docker(&[
            "events",
            "--filter",
            "container=follower",
            "--format",
            "{{.Action}}",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follower.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    // Its request answered (the window's was the first), everything from then on is sent to it.
    eventually("the follower's request", || {
        (daemon.log().matches("/events").count() >= 2).then_some(())
    });
    daemon.ok(&[
        "run", "-d", "--name", "follower", "busybox", "sleep", "1000",
    ]);
    daemon.ok(&["stop", "-t", "0", "follower"]);
    let mut seen = Vec::new();
    while !seen.iter().any(|a| a == "die") {
        let line = received
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no die among {seen:?}\n{}", daemon.log()));
        seen.push(line);
    }
    assert!(seen.iter().any(|a| a == "start"), "{seen:?}");
    let _ = kill(Pid::from_raw(follower.id() as i32), SIGKILL);
    let _ = follower.wait();
    daemon.ok(&["rm", "-f", "once", "follower"]);
}

#[test]
fn the_daemon_restarts_an_always_container_that_died_while_it_was_down() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let id = daemon.ok(&[
        "run",
        "-d",
        "--restart",
        "always",
        "--name",
        "phoenix",
        "busybox",
        "sleep",
        "1000",
    ]);
    let id = id.trim().to_string();
    let pid: i32 = daemon
        .ok(&["inspect", "-f", "{{.State.Pid}}", "phoenix"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(daemon.stop(), Some(0));
    // A crash of the host, as far as this container knows: monitor and process die, with
    // nobody recording it.
    for monitor in monitors_of(&id) {
        kill(Pid::from_raw(monitor), SIGKILL).unwrap();
    }
    kill(Pid::from_raw(pid), SIGKILL).unwrap();
    eventually("the kill to land", || {
        (monitors_of(&id).is_empty() && !alive(pid)).then_some(())
    });
    let daemon = Daemon::start(&engine);
    let state = daemon.ok(&[
        "inspect",
        "-f",
        "{{.State.Running}} {{.State.Pid}}",
        "phoenix",
    ]);
    let (running, new_pid) = state.trim().split_once(' ').unwrap();
    assert_eq!(running, "true", "{state}\n{}", daemon.log());
    let new_pid: i32 = new_pid.parse().unwrap();
    assert!(
        new_pid != pid && alive(new_pid),
        "a new process runs: {state}"
    );
    assert_eq!(monitors_of(&id).len(), 1, "under a new monitor");
    daemon.ok(&["rm", "-f", "phoenix"]);
    assert!(!alive(new_pid));
}
