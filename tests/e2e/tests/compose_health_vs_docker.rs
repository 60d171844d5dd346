//! ASK DOCKER: Debian's `docker-compose` 1.29 against a private dockerd (its own network
//! namespace, data root and socket: `harness::dockerd`) and `capstone compose` bring up the
//! same file of `healthcheck:` and `restart:` forms; the engines' records must agree on what
//! each form means: `Config.Healthcheck` (a test string is `CMD-SHELL`, `disable` is `NONE`,
//! durations in nanoseconds) and `HostConfig.RestartPolicy` (`deploy.restart_policy` wins over
//! `restart:`; its condition defaults to `any`, which is `always`).

mod capstone_support;

use capstone_support::Engine;
use serde_json::Value;
use std::process::Command;

const FILE: &str = r#"
services:
  shell:
    image: busybox
    command: ["sleep", "1000"]
    restart: on-failure:3
    healthcheck:
      test: wget -q -O /dev/null http://127.0.0.1/ || exit 1
      interval: 1m30s
      timeout: 500ms
      retries: 4
      start_period: 2s
  exec:
    image: busybox
    command: ["sleep", "1000"]
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "true"]
  unchecked:
    image: busybox
    command: ["sleep", "1000"]
    restart: always
    healthcheck:
      disable: true
  deployed:
    image: busybox
    command: ["sleep", "1000"]
    restart: always
    deploy:
      restart_policy:
        condition: on-failure
        max_attempts: 2
  defaulted:
    image: busybox
    command: ["sleep", "1000"]
    deploy:
      restart_policy: {}
"#;

fn first(json: &str) -> Value {
    let list: Vec<Value> = serde_json::from_str(json).unwrap();
    list.into_iter().next().unwrap()
}

#[test]
fn healthchecks_and_restart_policies_match_docker_compose() {
    let engine = Engine::with_busybox();
    let dockerd = capstone_support::dockerd_with(&engine, "busybox");
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("hc");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("docker-compose.yml"), FILE).unwrap();
    let docker_compose = |args: &[&str]| {
        Command::new("docker-compose")
            .args(args)
            .current_dir(&project)
            .env("DOCKER_HOST", dockerd.host())
            .env_remove("COMPOSE_PROJECT_NAME")
            .output()
            .unwrap()
    };

    let theirs_up = docker_compose(&["up", "-d"]);
    assert!(
        theirs_up.status.success(),
        "docker-compose up: {}",
        String::from_utf8_lossy(&theirs_up.stderr)
    );
    let mut ours_up = engine.command(&["compose", "up", "-d"]);
    ours_up
        .current_dir(&project)
        .env_remove("COMPOSE_PROJECT_NAME");
    assert!(ours_up.status().unwrap().success());

    for service in ["shell", "exec", "unchecked", "deployed", "defaulted"] {
        let theirs = first(&dockerd.ok(&["inspect", &format!("hc_{service}_1")]));
        let ours = engine.inspect(&format!("hc-{service}-1"));
        assert_eq!(
            theirs["Config"]["Healthcheck"], ours["Config"]["Healthcheck"],
            "{service}: Config.Healthcheck"
        );
        assert_eq!(
            theirs["HostConfig"]["RestartPolicy"], ours["HostConfig"]["RestartPolicy"],
            "{service}: HostConfig.RestartPolicy"
        );
    }

    assert!(docker_compose(&["down", "-t", "0"]).status.success());
    let mut ours_down = engine.command(&["compose", "down", "-t", "0"]);
    ours_down.current_dir(&project);
    assert!(ours_down.status().unwrap().success());
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    assert_eq!(dockerd.ok(&["ps", "-aq"]), "");
}
