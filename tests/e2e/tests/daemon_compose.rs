//! docker-compose 1.29 (Debian's, over the Python SDK) driving `capstone daemon`: an app of
//! three busybox services on two networks, with a health check, a restart policy, a named
//! volume and a published port. Compose finds its containers by label filters (all of which
//! must hold), names each service on each network with `EndpointConfig.Aliases` at
//! `network connect` of a created container, and `down -v` removes what `up` made — checked
//! through the capstone CLI on the same root, and by one service reaching another by name.

mod capstone_support;
mod daemon_support;

use capstone_support::{Engine, Run};
use daemon_support::Daemon;

const APP: &str = r#"
version: "3.8"
services:
  db:
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/data"]
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
    volumes: [data:/data]
    networks: [back]
  backend:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [db]
    networks:
      back:
      front:
        aliases: [api]
  frontend:
    image: busybox
    command: ["sleep", "1000"]
    ports: ["18080:8080"]
    networks: [front]
networks:
  front:
  back:
    internal: true
volumes:
  data:
"#;

/// `docker-compose -p dc ARGS` in `app`, against `daemon`.
fn compose(daemon: &Daemon, app: &std::path::Path, args: &[&str]) -> Run {
    let out = std::process::Command::new("docker-compose")
        .args(["-p", "dc"])
        .args(args)
        .current_dir(app)
        .env(
            "DOCKER_HOST",
            format!("unix://{}", daemon.socket().display()),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run docker-compose");
    Run::from(out)
}

/// As [`compose`], which must succeed; its stdout.
fn compose_ok(daemon: &Daemon, app: &std::path::Path, args: &[&str]) -> String {
    let run = compose(daemon, app, args);
    assert_eq!(run.code, 0, "compose {args:?}: {run:?}\n{}", daemon.log());
    run.stdout
}

#[test]
fn compose_up_ps_exec_scale_and_down_through_the_daemon() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("docker-compose.yml"), APP).unwrap();
    let app = app.path();
    compose_ok(&daemon, app, &["up", "-d"]);
    // One container per service, each listed once, with compose's names.
    let mut names: Vec<String> = engine
        .ok(&["ps", "--format", "{{.Names}}"])
        .lines()
        .map(String::from)
        .collect();
    names.sort();
    assert_eq!(names, ["dc_backend_1", "dc_db_1", "dc_frontend_1"]);
    let ps = compose_ok(&daemon, app, &["ps", "-q"]);
    assert_eq!(ps.lines().count(), 3, "{ps}");
    // `back` was made internal and labelled as docker-compose asked (`POST /networks/create`).
    let back: Vec<serde_json::Value> =
        serde_json::from_str(&engine.ok(&["network", "inspect", "dc_back"])).unwrap();
    assert_eq!(back[0]["Internal"], true);
    assert_eq!(back[0]["Labels"]["com.docker.compose.network"], "back");
    // The volume holds what db serves; backend finds db by its service name on `back`.
    compose_ok(
        &daemon,
        app,
        &[
            "exec",
            "-T",
            "db",
            "sh",
            "-c",
            "echo leafy > /data/index.html",
        ],
    );
    let got = compose_ok(
        &daemon,
        app,
        &[
            "exec",
            "-T",
            "backend",
            "wget",
            "-q",
            "-O-",
            "http://db:8080/index.html",
        ],
    );
    assert_eq!(got, "leafy\n");
    // frontend is only on `front`: db is not a name there.
    let cut_off = compose(
        &daemon,
        app,
        &[
            "exec",
            "-T",
            "frontend",
            "wget",
            "-q",
            "-O-",
            "http://db:8080/index.html",
        ],
    );
    assert_ne!(cut_off.code, 0, "{cut_off:?}");
    compose_ok(&daemon, app, &["up", "-d", "--scale", "backend=2"]);
    let backends = compose_ok(&daemon, app, &["ps", "-q", "backend"]);
    assert_eq!(backends.lines().count(), 2, "{backends}");
    compose_ok(&daemon, app, &["down", "-v"]);
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    assert_eq!(engine.ok(&["volume", "ls", "-q"]), "");
    let networks = engine.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(!networks.contains("dc_"), "{networks}");
}
