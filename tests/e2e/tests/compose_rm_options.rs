//! `capstone compose rm`'s question (docker-compose's `Going to remove …` /
//! `Are you sure? [yN]`, `-f`, `-s`, `-v`), and service keys that become `capstone run`
//! flags: `expose` (`Config.ExposedPorts`), `extra_hosts`, `tmpfs` and `stop_signal`, each
//! checked inside the running container or in its record.

mod capstone_support;

use capstone_support::{Engine, Run};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

/// `capstone compose ARGS…` in `dir`, `input` on its stdin.
fn compose(engine: &Engine, dir: &Path, args: &[&str], input: &str) -> Run {
    let mut all = vec!["compose"];
    all.extend_from_slice(args);
    let mut child = engine
        .command(&all)
        .current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    Run::from(child.wait_with_output().unwrap())
}

fn ok(engine: &Engine, dir: &Path, args: &[&str], input: &str) -> Run {
    let run = compose(engine, dir, args, input);
    assert_eq!(run.code, 0, "compose {args:?}: {run:?}");
    run
}

fn exists(engine: &Engine, name: &str) -> bool {
    engine.run(&["inspect", name]).code == 0
}

#[test]
fn rm_asks_before_removing_stopped_containers_and_f_s_v_do_as_docker_compose() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    let sleeper = "    image: busybox\n    command: [\"sleep\", \"1000\"]\n";
    let file = format!(
        "name: rmx\nservices:\n  a:\n{sleeper}  b:\n{sleeper}  c:\n{sleeper}    volumes: [\"/data\"]\n"
    );
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    ok(&engine, dir.path(), &["up", "-d"], "");
    ok(&engine, dir.path(), &["stop", "-t", "1", "a"], "");

    // Only the stopped container is offered; "n" (or no answer) keeps it.
    for answer in ["n\n", ""] {
        let no = ok(&engine, dir.path(), &["rm"], answer);
        assert_eq!(no.stdout, "Going to remove rmx-a-1\nAre you sure? [yN] ");
        assert!(exists(&engine, "rmx-a-1"));
    }
    let yes = ok(&engine, dir.path(), &["rm"], "y\n");
    assert!(yes.stderr.contains("Container rmx-a-1  Removed"), "{yes:?}");
    assert!(!exists(&engine, "rmx-a-1"));
    assert_eq!(engine.inspect("rmx-b-1")["State"]["Status"], "running");

    // -s stops first, -f asks nothing; -v takes the anonymous volume along.
    let volume = engine.inspect("rmx-c-1")["Mounts"][0]["Name"]
        .as_str()
        .unwrap()
        .to_string();
    let forced = ok(&engine, dir.path(), &["rm", "-f", "-s", "-v", "c"], "");
    assert_eq!(forced.stdout, "Going to remove rmx-c-1\n");
    assert!(!exists(&engine, "rmx-c-1"));
    assert!(!engine.ok(&["volume", "ls", "-q"]).contains(&volume));
    assert_eq!(engine.inspect("rmx-b-1")["State"]["Status"], "running");

    let none = ok(&engine, dir.path(), &["rm", "-f", "a"], "");
    assert_eq!(none.stdout, "No stopped containers\n");
    ok(&engine, dir.path(), &["down", "-t", "1"], "");
}

#[test]
fn expose_extra_hosts_tmpfs_and_stop_signal_reach_the_container() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    let file = r#"name: keys
services:
  app:
    image: busybox
    command: ["sh", "-c", "trap 'echo got INT; exit 0' INT; while true; do sleep 0.1; done"]
    expose: ["3000", "4000-4001/udp"]
    extra_hosts: ["db.example=10.0.0.5", "cache.example:10.0.0.6"]
    tmpfs: ["/scratch"]
    stop_signal: SIGINT
"#;
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    ok(&engine, dir.path(), &["up", "-d"], "");
    let c = engine.inspect("keys-app-1");
    let mut exposed: Vec<&String> = c["Config"]["ExposedPorts"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    exposed.sort();
    assert_eq!(exposed, ["3000/tcp", "4000/udp", "4001/udp"]);
    assert_eq!(c["Config"]["StopSignal"], "SIGINT");

    let inside = |script: &str| {
        ok(
            &engine,
            dir.path(),
            &["exec", "-T", "app", "sh", "-c", script],
            "",
        )
        .stdout
    };
    let hosts = inside("cat /etc/hosts");
    assert!(hosts.contains("10.0.0.5\tdb.example\n"), "{hosts}");
    assert!(hosts.contains("10.0.0.6\tcache.example\n"), "{hosts}");
    let mounts = inside("cat /proc/self/mounts");
    assert!(
        mounts
            .lines()
            .any(|l| l.starts_with("tmpfs /scratch tmpfs ")),
        "{mounts}"
    );
    // `stop` sends SIGINT: the trap runs and the container exits 0, not killed.
    ok(&engine, dir.path(), &["stop", "-t", "5"], "");
    let logs = engine.ok(&["logs", "keys-app-1"]);
    assert_eq!(logs, "got INT\n");
    assert_eq!(engine.inspect("keys-app-1")["State"]["ExitCode"], 0);
    ok(&engine, dir.path(), &["down"], "");
}

/// Debian's docker-compose 1.29 on a private dockerd, asked the same questions: `rm` prints
/// the same words (its container names use `_` where v2 and the capstone use `-`).
#[test]
fn rm_prints_what_docker_compose_prints() {
    let engine = Engine::with_busybox();
    let dockerd = capstone_support::dockerd_with(&engine, "busybox");
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("cmp");
    std::fs::create_dir(&project).unwrap();
    let sleeper = "    image: busybox\n    command: [\"sleep\", \"1000\"]\n";
    let file = format!("services:\n  a:\n{sleeper}  b:\n{sleeper}");
    std::fs::write(project.join("docker-compose.yml"), file).unwrap();
    let theirs = |args: &[&str], input: &str| {
        let mut child = std::process::Command::new("docker-compose")
            .args(args)
            .current_dir(&project)
            .env("DOCKER_HOST", dockerd.host())
            .env_remove("COMPOSE_PROJECT_NAME")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        let run = Run::from(child.wait_with_output().unwrap());
        assert_eq!(run.code, 0, "docker-compose {args:?}: {run:?}");
        run.stdout.replace('_', "-")
    };
    let ours = |args: &[&str], input: &str| ok(&engine, &project, args, input).stdout;
    for (args, input) in [(&["up", "-d"][..], ""), (&["stop", "-t", "1", "a"][..], "")] {
        theirs(args, input);
        ours(args, input);
    }
    for (args, input) in [
        (&["rm"][..], "n\n"),
        (&["rm"][..], "y\n"),
        (&["rm", "-f"][..], ""),
        (&["rm", "-f", "-s", "b"][..], ""),
    ] {
        assert_eq!(
            theirs(args, input),
            ours(args, input),
            "rm {args:?} {input:?}"
        );
    }
    ours(&["down"], "");
}

#[test]
fn a_bad_expose_extra_hosts_or_stop_signal_is_named_by_service_and_key() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("expose: [\"80\", \"http\"]", "services.app.expose[1]"),
        ("extra_hosts: [\"nohost\"]", "--add-host"),
        ("stop_signal: SIGNOPE", "services.app.stop_signal"),
    ];
    for (line, named) in cases {
        let file = format!("name: bad\nservices:\n  app:\n    image: busybox\n    {line}\n");
        std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
        let up = compose(&engine, dir.path(), &["up", "-d"], "");
        assert_eq!(up.code, 1, "{line}: {up:?}");
        assert!(up.stderr.contains(named), "{line}: {}", up.stderr);
        assert!(up.stderr.contains("services.app"), "{line}: {}", up.stderr);
        assert!(!exists(&engine, "bad-app-1"), "{line}");
    }
    ok(&engine, dir.path(), &["down"], "");
}
