//! ASK DOCKER: Debian's `docker-compose` 1.29 against a private dockerd (its own network
//! namespace, data root and socket: `harness::dockerd`) and `capstone compose` bring up the
//! same file; the engines' records must agree on what Docker Compose's conventions are: the
//! `com.docker.compose.*` labels on containers and volumes, the network and volume names, the
//! service name and aliases on each network, and where `expose`, `extra_hosts` and
//! `stop_signal` are recorded. (Container names differ on purpose:
//! docker-compose 1.29 writes `cmp_web_1`, Docker Compose v2 and capstone `cmp-web-1`.)

mod capstone_support;

use capstone_support::Engine;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

const FILE: &str = r#"
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    networks:
      default:
      extra:
        aliases: [www]
    volumes:
      - data:/data
    expose: ["3000", "4000-4001/udp"]
    extra_hosts: ["db.example:10.0.0.5"]
    stop_signal: SIGINT
networks:
  extra:
volumes:
  data:
"#;

/// The `com.docker.compose.*` labels of an inspected object, without `.version` (the tool's
/// own version, which capstone does not claim).
fn compose_labels(object: &Value) -> BTreeMap<String, String> {
    object["Labels"]
        .as_object()
        .or_else(|| object["Config"]["Labels"].as_object())
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.starts_with("com.docker.compose.") && *k != "com.docker.compose.version")
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

fn first(json: &str) -> Value {
    let list: Vec<Value> = serde_json::from_str(json).unwrap();
    list.into_iter().next().unwrap()
}

#[test]
fn labels_names_and_aliases_match_docker_compose() {
    let engine = Engine::with_busybox();
    let dockerd = capstone_support::dockerd_with(&engine, "busybox");
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("cmp");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("docker-compose.yml"), FILE).unwrap();

    let theirs_up = Command::new("docker-compose")
        .args(["up", "-d"])
        .current_dir(&project)
        .env("DOCKER_HOST", dockerd.host())
        .env_remove("COMPOSE_PROJECT_NAME")
        .output()
        .unwrap();
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

    // Containers: the same labels, with the same values where they are not hashes.
    let theirs = first(&dockerd.ok(&["inspect", "cmp_web_1"]));
    let ours = engine.inspect("cmp-web-1");
    let (t, o) = (
        compose_labels(&theirs["Config"]),
        compose_labels(&ours["Config"]),
    );
    assert_eq!(t.keys().collect::<Vec<_>>(), o.keys().collect::<Vec<_>>());
    // (`project.config_files` differs on purpose: 1.29 writes the files as given on its
    // command line, `docker-compose.yml`; v2 and capstone write absolute paths.)
    for key in [
        "project",
        "service",
        "container-number",
        "oneoff",
        "project.working_dir",
    ] {
        let key = format!("com.docker.compose.{key}");
        assert_eq!(t[&key], o[&key], "{key}");
    }

    // `expose`, `extra_hosts` and `stop_signal` land where Docker keeps them.
    for (section, key) in [
        ("Config", "ExposedPorts"),
        ("Config", "StopSignal"),
        ("HostConfig", "ExtraHosts"),
    ] {
        assert!(!ours[section][key].is_null(), "{section}.{key}");
        assert_eq!(theirs[section][key], ours[section][key], "{section}.{key}");
    }

    // Networks `<project>_<key>`, and on each the service's name (and the aliases) as names.
    for network in ["cmp_default", "cmp_extra"] {
        let aliases = |c: &Value| -> Vec<String> {
            let list = c["NetworkSettings"]["Networks"][network]["Aliases"]
                .as_array()
                .cloned();
            let mut names: Vec<String> = list
                .unwrap_or_default()
                .iter()
                .filter_map(|a| a.as_str().map(String::from))
                .collect();
            names.retain(|n| !n.chars().all(|c| c.is_ascii_hexdigit())); // Docker adds the short id
            names.sort();
            names
        };
        assert_eq!(aliases(&theirs), aliases(&ours), "aliases on {network}");
    }

    // The volume `<project>_<key>`, labelled with its project and key.
    let theirs_volume = first(&dockerd.ok(&["volume", "inspect", "cmp_data"]));
    let ours_volume = first(&engine.ok(&["volume", "inspect", "cmp_data"]));
    assert_eq!(compose_labels(&theirs_volume), compose_labels(&ours_volume));

    let theirs_down = Command::new("docker-compose")
        .args(["down", "-v", "-t", "1"])
        .current_dir(&project)
        .env("DOCKER_HOST", dockerd.host())
        .output()
        .unwrap();
    assert!(theirs_down.status.success());
    let mut ours_down = engine.command(&["compose", "down", "-v", "-t", "1"]);
    ours_down.current_dir(&project);
    assert!(ours_down.status().unwrap().success());
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    assert_eq!(dockerd.ok(&["ps", "-aq"]), "");
}
