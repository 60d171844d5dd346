//! Several replicas of a service (`deploy.replicas`, `--scale`): every replica answers to the
//! service's name. Docker's embedded DNS gives each query every replica's address, shuffled;
//! the capstone writes names into `/etc/hosts`, where the first matching line wins, so it
//! rotates the replicas' lines per reader (by the reader's address). Checked by asking each
//! client container which replica its `http://web/` reached.

mod capstone_support;

use capstone_support::{Engine, compose, eventually};
use std::collections::BTreeSet;

/// Three `web` replicas, each serving its own hostname, and clients that sleep.
const FILE: &str = r#"name: rr
services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
    deploy:
      replicas: 3
  client:
    image: busybox
    command: ["sleep", "1000"]
    depends_on: [web]
"#;

#[test]
fn clients_started_one_after_another_reach_different_replicas_by_the_service_name() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), FILE).unwrap();
    let up = compose(&engine, dir.path(), &["up", "-d", "--scale", "client=3"]);
    assert_eq!(up.code, 0, "{up:?}");

    let replicas: BTreeSet<String> = (1..=3)
        .map(|n| {
            let c = engine.inspect(&format!("rr-web-{n}"));
            c["Config"]["Hostname"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(replicas.len(), 3);
    let mut reached = BTreeSet::new();
    for n in ["1", "2", "3"] {
        let args = [
            "exec",
            "-T",
            "--index",
            n,
            "client",
            "wget",
            "-q",
            "-O",
            "-",
            "http://web/",
        ];
        // The replica's httpd may still be starting: ask until it answers.
        let answer = eventually("a web replica to answer", || {
            let run = compose(&engine, dir.path(), &args);
            (run.code == 0).then(|| run.stdout.trim().to_string())
        });
        assert!(replicas.contains(&answer), "{answer} is not a replica");
        reached.insert(answer);
    }
    // Each client's first `web` line is a different replica: all three were reached.
    assert_eq!(reached, replicas);

    // The hosts file lists every replica under the service name, for every client.
    let hosts = compose(
        &engine,
        dir.path(),
        &["exec", "-T", "client", "cat", "/etc/hosts"],
    );
    let web_lines = hosts
        .stdout
        .lines()
        .filter(|l| l.split_whitespace().any(|w| w == "web"))
        .count();
    assert_eq!(web_lines, 3, "{}", hosts.stdout);
    let down = compose(&engine, dir.path(), &["down", "-t", "1"]);
    assert_eq!(down.code, 0, "{down:?}");
}
