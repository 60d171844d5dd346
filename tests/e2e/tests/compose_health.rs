//! `capstone compose` with the engine's health checks and restart policies: a dependency that
//! never gets healthy stops `up` with Docker Compose's message, and a crashing service is
//! restarted by its `restart:` / `deploy.restart_policy` (the record's RestartCount grows).
//! The leafy app's health-gated start is in `compose_up.rs`.

mod capstone_support;

use capstone_support::{Engine, Run};
use std::path::Path;
use std::time::{Duration, Instant};

/// A project directory holding `file` as its compose.yaml.
fn project(file: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("compose-health-")
        .tempdir()
        .unwrap();
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    dir
}

fn compose(engine: &Engine, dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["compose"];
    all.extend_from_slice(args);
    let mut cmd = engine.command(&all);
    cmd.current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME");
    Run::from(cmd.output().unwrap())
}

/// Polls `inspect NAME` until `done` holds for it, up to a deadline; returns the last look.
fn inspect_until(
    engine: &Engine,
    name: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let c = engine.inspect(name);
        if done(&c) || Instant::now() > deadline {
            return c;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_unhealthy_dependency_stops_up_with_docker_composes_message() {
    let engine = Engine::with_busybox();
    let dir = project(
        "name: sick\nservices:\n  db:\n    image: busybox\n    command: sleep 1000\n    healthcheck:\n      test: [\"CMD\", \"false\"]\n      interval: 200ms\n      retries: 2\n  app:\n    image: busybox\n    command: sleep 1000\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    let up = compose(&engine, dir.path(), &["up", "-d", "-t", "1"]);
    assert_eq!(up.code, 1, "{up:?}");
    assert!(
        up.stderr
            .contains("dependency failed to start: container sick-db-1 is unhealthy"),
        "{}",
        up.stderr
    );
    // The check ran as the file says (exec form, in the container), failing twice in a row.
    let db = engine.inspect("sick-db-1");
    assert_eq!(db["Config"]["Healthcheck"]["Test"][1], "false");
    assert_eq!(db["State"]["Health"]["Status"], "unhealthy");
    assert!(db["State"]["Health"]["FailingStreak"].as_u64().unwrap() >= 2);
    // The database stays up, its dependant was never made, and `ps` shows why.
    assert_eq!(db["State"]["Status"], "running");
    assert_ne!(engine.run(&["inspect", "sick-app-1"]).code, 0);
    let ps = compose(&engine, dir.path(), &["ps"]);
    assert!(ps.stdout.contains("(unhealthy)"), "{ps:?}");
    assert_eq!(compose(&engine, dir.path(), &["down", "-t", "1"]).code, 0);
}

#[test]
fn a_crashing_service_is_restarted_by_its_policy() {
    let engine = Engine::with_busybox();
    let dir = project(
        "name: crash\nservices:\n  flaky:\n    image: busybox\n    command: [\"sh\", \"-c\", \"exit 3\"]\n    restart: on-failure:3\n  swarmish:\n    image: busybox\n    command: [\"sh\", \"-c\", \"exit 4\"]\n    restart: always\n    deploy:\n      restart_policy:\n        condition: on-failure\n        max_attempts: 2\n",
    );
    let up = compose(&engine, dir.path(), &["up", "-d"]);
    assert_eq!(up.code, 0, "{up:?}");
    // Each is started again after each crash until its retries are spent, then stays exited.
    for (name, policy, retries, code) in [
        ("crash-flaky-1", "on-failure", 3, 3),
        ("crash-swarmish-1", "on-failure", 2, 4),
    ] {
        let c = inspect_until(&engine, name, |c| {
            c["RestartCount"] == retries && c["State"]["Status"] == "exited"
        });
        assert_eq!(c["HostConfig"]["RestartPolicy"]["Name"], policy, "{c}");
        assert_eq!(
            c["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], retries,
            "{c}"
        );
        assert_eq!(c["RestartCount"], retries, "{name} was restarted: {c}");
        assert_eq!(c["State"]["Status"], "exited", "{c}");
        assert_eq!(c["State"]["ExitCode"], code);
    }
    assert_eq!(compose(&engine, dir.path(), &["down"]).code, 0);
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
}

#[test]
fn run_waits_for_its_dependency_to_be_healthy() {
    let engine = Engine::with_busybox();
    let dir = project(
        "name: gated\nservices:\n  db:\n    image: busybox\n    command: sleep 1000\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 300ms\n  app:\n    image: busybox\n    depends_on:\n      db:\n        condition: service_healthy\n",
    );
    let run = compose(
        &engine,
        dir.path(),
        &["run", "--rm", "-T", "--name", "gated-job", "app", "true"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    // The engine's event log orders it: the db's check passed before the one-off started.
    let until = format!("{}", std::time::UNIX_EPOCH.elapsed().unwrap().as_secs() + 1);
    let events: Vec<String> = engine
        .ok(&["events", "--until", &until, "--format", "{{json .}}"])
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            let name = e["Actor"]["Attributes"]["name"].as_str().unwrap_or("");
            format!("{} {name}", e["Action"].as_str().unwrap())
        })
        .collect();
    let at = |line: &str| events.iter().position(|l| l == line);
    let healthy = at("health_status: healthy gated-db-1");
    let started = at("start gated-job");
    assert!(
        healthy.is_some() && started.is_some() && healthy < started,
        "{events:?}"
    );
    assert_eq!(compose(&engine, dir.path(), &["down", "-t", "0"]).code, 0);
}
