//! Health checks, run by each container's monitor inside the container (as `exec` runs a
//! command): `State.Health` {Status, FailingStreak, Log} in inspect, `(healthy)`,
//! `(unhealthy)`, `(health: starting)` in ps, `health_status` events, the image's
//! `HEALTHCHECK`, `--no-healthcheck`, and a probe's timeout. Waiting is a poll with a deadline.

mod capstone_support;

use capstone_support::{Engine, eventually};
use serde_json::Value;

/// Polls inspect until the health status is `status`; returns `State.Health`.
fn health_becomes(engine: &Engine, id: &str, status: &str) -> Value {
    eventually(&format!("health {status}"), || {
        let health = engine.inspect(id)["State"]["Health"].clone();
        (health["Status"] == status).then_some(health)
    })
}

fn ps_status(engine: &Engine, id: &str) -> String {
    engine.ok(&[
        "ps",
        "--filter",
        &format!("id={id}"),
        "--format",
        "{{.Status}}",
    ])
}

#[test]
fn failures_make_it_unhealthy_and_a_passing_probe_heals_it() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
        "--network",
        "none",
        "--health-cmd",
        "cat /tmp/ok",
        "--health-interval",
        "100ms",
        "--health-retries",
        "2",
        "busybox",
        "sleep",
        "1000",
    ]);
    let health = health_becomes(&engine, &id, "unhealthy");
    assert!(health["FailingStreak"].as_u64().unwrap() >= 2, "{health}");
    let last = health["Log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["ExitCode"], 1, "{last}");
    assert!(
        last["Output"].as_str().unwrap().contains("/tmp/ok"),
        "{last}"
    );
    assert!(ps_status(&engine, &id).contains("(unhealthy)"));

    engine.ok(&["exec", &id, "sh", "-c", "echo fine > /tmp/ok"]);
    let health = health_becomes(&engine, &id, "healthy");
    assert_eq!(health["FailingStreak"], 0);
    let last = health["Log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["ExitCode"].clone(), last["Output"].clone()),
        (0.into(), "fine\n".into())
    );
    assert!(ps_status(&engine, &id).contains("(healthy)"));
    // Only the last five results are kept.
    eventually("a full log", || {
        let log = engine.inspect(&id)["State"]["Health"]["Log"].clone();
        (log.as_array().unwrap().len() == 5).then_some(())
    });
    let until = format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 1
    );
    let events = engine.ok(&[
        "events",
        "--until",
        &until,
        "--filter",
        &format!("container={id}"),
        "--format",
        "{{.Action}}",
    ]);
    let health_events: Vec<&str> = events
        .lines()
        .filter(|a| a.starts_with("health_status"))
        .collect();
    assert_eq!(
        health_events,
        ["health_status: unhealthy", "health_status: healthy"]
    );
}

#[test]
fn failures_in_the_start_period_do_not_count() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
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
    ]);
    let health = eventually("two probes", || {
        let health = engine.inspect(&id)["State"]["Health"].clone();
        (health["Log"].as_array().unwrap().len() >= 2).then_some(health)
    });
    assert_eq!(health["Status"], "starting");
    assert_eq!(health["FailingStreak"], 0);
    assert!(ps_status(&engine, &id).contains("(health: starting)"));
}

#[test]
fn a_probe_that_runs_too_long_fails() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
        "--network",
        "none",
        "--health-cmd",
        "sleep 30",
        "--health-interval",
        "100ms",
        "--health-timeout",
        "300ms",
        "--health-retries",
        "1",
        "busybox",
        "sleep",
        "1000",
    ]);
    let health = health_becomes(&engine, &id, "unhealthy");
    let last = health["Log"][0].clone();
    assert_eq!(last["ExitCode"], -1, "{last}");
    assert!(
        last["Output"]
            .as_str()
            .unwrap()
            .contains("exceeded timeout"),
        "{last}"
    );
}

#[test]
fn the_images_healthcheck_runs_unless_turned_off() {
    let engine = Engine::with_busybox();
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM busybox\nHEALTHCHECK --interval=100ms CMD test -d /proc/1\n",
    )
    .unwrap();
    engine.ok(&["build", "-q", "-t", "checked", ctx.path().to_str().unwrap()]);
    let id = engine.detached(&["--network", "none", "checked", "sleep", "1000"]);
    let config = engine.inspect(&id)["Config"]["Healthcheck"].clone();
    assert_eq!(
        config["Test"],
        serde_json::json!(["CMD-SHELL", "test -d /proc/1"])
    );
    health_becomes(&engine, &id, "healthy");

    let off = engine.detached(&[
        "--network",
        "none",
        "--no-healthcheck",
        "checked",
        "sleep",
        "1000",
    ]);
    let inspect = engine.inspect(&off);
    assert_eq!(
        inspect["Config"]["Healthcheck"]["Test"],
        serde_json::json!(["NONE"])
    );
    assert!(
        inspect["State"].get("Health").is_none(),
        "{}",
        inspect["State"]
    );
    assert!(!ps_status(&engine, &off).contains('('));
}
