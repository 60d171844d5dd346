//! `capstone compose up/down/…` end to end, with the notes' busybox app
//! (`examples/leafy-busybox`: database, backend, frontend, two networks, a named volume) in a
//! network namespace the test makes, images built from the busybox image imported there.
//! Every check asks the running containers (wget across the networks, files on the volume) or
//! the engine's records (labels, networks, volumes), never a printed summary alone.

mod capstone_support;

use capstone_support::{Engine, Run};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A copy of the example in a temporary directory (named `leafy`, so the project name is the
/// file's `name: leafy` either way). Its backend waits for the database to be *healthy*.
fn leafy_app() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("compose-leafy-")
        .tempdir()
        .unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/leafy-busybox");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", example.display()))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

/// `capstone compose ARGS…` in `dir`. (busybox httpd, as pid 1, ignores SIGTERM, so tests
/// stop with `-t 1` rather than wait Docker's 10 s for the SIGKILL.)
fn compose(engine: &Engine, dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["compose"];
    all.extend_from_slice(args);
    let mut cmd = engine.command(&all);
    cmd.current_dir(dir);
    for var in [
        "FRONT_PORT",
        "DB_NAME",
        "GREETING",
        "COMPOSE_FILE",
        "COMPOSE_PROJECT_NAME",
    ] {
        cmd.env_remove(var);
    }
    Run::from(cmd.output().unwrap())
}

fn compose_ok(engine: &Engine, dir: &Path, args: &[&str]) -> String {
    let run = compose(engine, dir, args);
    assert_eq!(run.code, 0, "compose {args:?} failed: {}", run.stderr);
    run.stdout
}

/// `compose exec -T SERVICE sh -c SCRIPT`.
fn sh(engine: &Engine, dir: &Path, service: &str, script: &str) -> Run {
    compose(engine, dir, &["exec", "-T", service, "sh", "-c", script])
}

fn id_of(engine: &Engine, name: &str) -> String {
    engine.inspect(name)["Id"].as_str().unwrap().to_string()
}

#[test]
fn the_leafy_app_comes_up_talks_by_name_keeps_its_volume_and_goes_down() {
    let engine = Engine::with_busybox();
    let app = leafy_app();
    let dir = app.path();
    compose_ok(&engine, dir, &["up", "-d"]);

    // Three containers, named and labelled as Docker Compose names and labels them.
    for service in ["db", "backend", "frontend"] {
        let c = engine.inspect(&format!("leafy-{service}-1"));
        assert_eq!(c["State"]["Status"], "running", "{service}");
        let labels = &c["Config"]["Labels"];
        assert_eq!(labels["com.docker.compose.project"], "leafy");
        assert_eq!(labels["com.docker.compose.service"], service);
        assert_eq!(labels["com.docker.compose.container-number"], "1");
        assert_eq!(labels["com.docker.compose.oneoff"], "False");
        assert_eq!(
            labels["com.docker.compose.config-hash"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
    }
    // The backend started only once the database's check passed (health-gated start): its
    // record says so, and `compose ps` shows it as Docker Compose does.
    let db = engine.inspect("leafy-db-1");
    assert_eq!(db["State"]["Health"]["Status"], "healthy", "{db}");
    // The engine's event log orders it: the db's `health_status: healthy`, then the
    // backend's `start`.
    let until = format!("{}", std::time::UNIX_EPOCH.elapsed().unwrap().as_secs() + 1);
    let events: Vec<String> = engine
        .ok(&["events", "--until", &until, "--format", "{{json .}}"])
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {}",
                e["Action"].as_str().unwrap(),
                e["Actor"]["Attributes"]["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    let at = |line: &str| events.iter().position(|l| l == line);
    let healthy = at("health_status: healthy leafy-db-1").unwrap_or_else(|| panic!("{events:?}"));
    let started = at("start leafy-backend-1").unwrap_or_else(|| panic!("{events:?}"));
    assert!(healthy < started, "{events:?}");
    let ps = compose_ok(&engine, dir, &["ps"]);
    let db_row = ps.lines().find(|l| l.starts_with("leafy-db-1")).unwrap();
    assert!(db_row.contains("(healthy)"), "{ps}");
    let networks = engine.ok(&["network", "ls"]);
    assert!(
        networks.contains("leafy_front") && networks.contains("leafy_back"),
        "{networks}"
    );
    assert!(engine.ok(&["volume", "ls"]).contains("leafy_data"));

    // frontend -> backend (by its alias `api`) -> db (by its service name), as the page shows.
    let page = sh(
        &engine,
        dir,
        "frontend",
        "wget -q -O - http://127.0.0.1:8080/cgi-bin/index",
    );
    assert!(
        page.stdout
            .contains("backend says: hello from the leafy database"),
        "{page:?}"
    );
    // The frontend is not on `back`: no name for the database, and its address is unreachable
    // (the networks are isolated), while the backend reaches the same address.
    let db_ip =
        engine.inspect("leafy-db-1")["NetworkSettings"]["Networks"]["leafy_back"]["IPAddress"]
            .as_str()
            .unwrap()
            .to_string();
    let by_name = sh(
        &engine,
        dir,
        "frontend",
        "wget -q -O - http://db:8080/cgi-bin/get",
    );
    assert_ne!(by_name.code, 0, "{by_name:?}");
    let get = format!("timeout 2 wget -q -O - http://{db_ip}:8080/cgi-bin/get");
    let by_address = sh(&engine, dir, "frontend", &get);
    assert_ne!(by_address.code, 0, "{by_address:?}");
    assert!(!by_address.stdout.contains("hello"));
    assert!(
        sh(&engine, dir, "backend", &get)
            .stdout
            .contains("hello from the leafy database")
    );

    // A second `up` changes nothing; a changed setting recreates only that service.
    let before: Vec<String> = ["db", "backend", "frontend"]
        .iter()
        .map(|s| id_of(&engine, &format!("leafy-{s}-1")))
        .collect();
    compose_ok(&engine, dir, &["up", "-d"]);
    let again: Vec<String> = ["db", "backend", "frontend"]
        .iter()
        .map(|s| id_of(&engine, &format!("leafy-{s}-1")))
        .collect();
    assert_eq!(before, again);
    let mut changed = engine.command(&["compose", "up", "-d", "-t", "1"]);
    changed.current_dir(dir).env("DB_NAME", "other");
    assert!(changed.status().unwrap().success());
    assert_ne!(
        id_of(&engine, "leafy-db-1"),
        before[0],
        "db's environment changed"
    );
    assert_eq!(id_of(&engine, "leafy-backend-1"), before[1]);
    assert_eq!(id_of(&engine, "leafy-frontend-1"), before[2]);

    // --scale: two backends, each answering the frontend by its container name.
    compose_ok(
        &engine,
        dir,
        &["up", "-d", "-t", "1", "--scale", "backend=2"],
    );
    let ids = compose_ok(&engine, dir, &["ps", "-q", "backend"]);
    assert_eq!(ids.lines().count(), 2, "{ids}");
    for n in [1, 2] {
        let url = format!("wget -q -O - http://leafy-backend-{n}:8080/cgi-bin/greeting");
        let answer = sh(&engine, dir, "frontend", &url);
        assert!(
            answer.stdout.contains("hello from the leafy database"),
            "backend {n}: {answer:?}"
        );
    }

    // The named volume outlives `down` and `up`; `down -v` leaves nothing.
    assert_eq!(
        sh(&engine, dir, "db", "echo kept across down > /data/greeting").code,
        0
    );
    compose_ok(&engine, dir, &["down", "-t", "1"]);
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    compose_ok(&engine, dir, &["up", "-d"]);
    let kept = sh(
        &engine,
        dir,
        "backend",
        "wget -q -O - http://db:8080/cgi-bin/get",
    );
    assert!(kept.stdout.contains("kept across down"), "{kept:?}");
    compose_ok(&engine, dir, &["down", "-v", "-t", "1"]);
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    assert!(!engine.ok(&["network", "ls"]).contains("leafy_"));
    assert!(!engine.ok(&["volume", "ls"]).contains("leafy_"));
    let links = engine
        .netns
        .command("ip")
        .args(["-o", "link"])
        .output()
        .unwrap();
    let links = String::from_utf8_lossy(&links.stdout);
    assert!(!links.contains("br-"), "bridges left behind: {links}");
}

/// A small project of the imported busybox image: two services that print a line and wait.
fn two_printers() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("compose-printers-")
        .tempdir()
        .unwrap();
    let file = r#"
name: printers
services:
  one:
    image: busybox
    environment:
      MARK: one-was-here
    command: ["sh", "-c", "echo hello from one; echo second line; exec sleep 1000"]
    ports: ["80"]
  two:
    image: busybox
    command: sh -c 'echo "hello from two"; exec sleep 1000'
    depends_on: [one]
"#;
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    dir
}

/// Polls `compose logs` until `wanted` appears, up to a deadline.
fn logs_until(engine: &Engine, dir: &Path, args: &[&str], wanted: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = compose_ok(engine, dir, args);
        if out.contains(wanted) || Instant::now() > deadline {
            return out;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn logs_are_prefixed_per_container_and_exec_and_run_use_the_service() {
    let engine = Engine::with_busybox();
    let app = two_printers();
    let dir: PathBuf = app.path().into();
    compose_ok(&engine, &dir, &["up", "-d"]);

    let all = logs_until(&engine, &dir, &["logs"], "hello from two");
    assert!(all.contains("printers-one-1  | hello from one"), "{all}");
    assert!(all.contains("printers-two-1  | hello from two"), "{all}");
    let tail = logs_until(
        &engine,
        &dir,
        &["logs", "--tail", "1", "one"],
        "second line",
    );
    assert_eq!(tail.trim(), "printers-one-1  | second line");
    let bare = compose_ok(&engine, &dir, &["logs", "--no-log-prefix", "two"]);
    assert_eq!(bare.trim(), "hello from two");

    // exec runs in the service's container, with its environment, and returns its status.
    let mark = sh(&engine, &dir, "one", "echo $MARK");
    assert_eq!(mark.stdout.trim(), "one-was-here");
    assert_eq!(sh(&engine, &dir, "one", "exit 3").code, 3);
    let missing = compose(&engine, &dir, &["exec", "-T", "three", "true"]);
    assert_ne!(missing.code, 0);
    assert!(
        missing.stderr.contains("no such service: three"),
        "{}",
        missing.stderr
    );

    // run --rm: a one-off container of the service, gone afterwards.
    let run = compose(
        &engine,
        &dir,
        &["run", "--rm", "-T", "one", "sh", "-c", "echo $MARK"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout.trim(), "one-was-here");
    let names = engine.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(names.lines().count(), 2, "{names}");

    // port: the host port the engine chose, as inspect shows it; images; top.
    let published = compose_ok(&engine, &dir, &["port", "one", "80"]);
    let host_port =
        engine.inspect("printers-one-1")["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
            .as_str()
            .unwrap()
            .to_string();
    assert_eq!(published.trim(), format!("0.0.0.0:{host_port}"));
    let images = compose_ok(&engine, &dir, &["images"]);
    assert!(
        images
            .lines()
            .any(|l| l.starts_with("printers-two-1") && l.contains("busybox")),
        "{images}"
    );
    let top = compose_ok(&engine, &dir, &["top", "two"]);
    assert!(
        top.starts_with("printers-two-1\n") && top.contains("sleep 1000"),
        "{top}"
    );

    // stop / start / ps -a / kill.
    compose_ok(&engine, &dir, &["stop", "-t", "1"]);
    assert_eq!(compose_ok(&engine, &dir, &["ps", "-q"]), "");
    assert_eq!(compose_ok(&engine, &dir, &["ps", "-aq"]).lines().count(), 2);
    compose_ok(&engine, &dir, &["start"]);
    assert_eq!(
        engine.inspect("printers-two-1")["State"]["Status"],
        "running"
    );
    compose_ok(&engine, &dir, &["kill", "two"]);
    assert_eq!(engine.inspect("printers-two-1")["State"]["ExitCode"], 137);
    let ls = engine.ok(&["compose", "ls"]);
    assert!(ls.contains("printers") && ls.contains("running(1)"), "{ls}");

    // --force-recreate replaces containers whose configuration did not change.
    let before = id_of(&engine, "printers-one-1");
    compose_ok(
        &engine,
        &dir,
        &["up", "-d", "-t", "1", "--force-recreate", "one"],
    );
    assert_ne!(id_of(&engine, "printers-one-1"), before);

    // A service gone from the file leaves an orphan: named by `up`, removed on request.
    let file = std::fs::read_to_string(dir.join("compose.yaml")).unwrap();
    let without_two = file.split("  two:").next().unwrap().to_string();
    std::fs::write(dir.join("compose.yaml"), without_two).unwrap();
    let up = compose(&engine, &dir, &["up", "-d"]);
    assert!(
        up.stderr.contains("orphan container printers-two-1"),
        "{}",
        up.stderr
    );
    compose_ok(&engine, &dir, &["up", "-d", "-t", "1", "--remove-orphans"]);
    assert!(
        engine.run(&["inspect", "printers-two-1"]).code != 0,
        "the orphan is gone"
    );

    compose_ok(&engine, &dir, &["down", "-t", "1"]);
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
}

#[test]
fn up_refuses_what_it_cannot_do_naming_the_file_service_and_key() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    let write = |text: &str| std::fs::write(dir.path().join("compose.yaml"), text).unwrap();

    // A service whose image cannot be had fails; the others stay up, and say so.
    write(
        "name: p\nservices:\n  good:\n    image: busybox\n    command: sleep 1000\n  bad:\n    image: 127.0.0.1:9/nosuch\n",
    );
    let up = compose(&engine, dir.path(), &["up", "-d"]);
    assert_eq!(up.code, 1);
    assert!(
        up.stderr.contains("up failed for service(s) bad"),
        "{}",
        up.stderr
    );
    assert_eq!(engine.inspect("p-good-1")["State"]["Status"], "running");
    compose_ok(&engine, dir.path(), &["down", "-t", "1"]);

    // A port the engine cannot publish is named by service and entry, before anything is made.
    write("name: q\nservices:\n  web:\n    image: busybox\n    ports: [\"8000-8001:80\"]\n");
    let up = compose(&engine, dir.path(), &["up", "-d"]);
    assert_eq!(up.code, 1);
    assert!(up.stderr.contains("services.web.ports[0]"), "{}", up.stderr);
    assert!(!engine.ok(&["network", "ls"]).contains("q_default"));
}

#[test]
fn ctrl_c_during_a_foreground_up_stops_the_project() {
    use std::io::{BufRead, BufReader};
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    // The trap is set before the line the test waits for: a SIGTERM that came between the
    // two would kill the shell by its default action, and `bye` would never be written.
    let file = "name: fg\nservices:\n  a:\n    image: busybox\n    command: [\"sh\", \"-c\", \"trap 'echo bye; exit 0' TERM; echo started a; while true; do sleep 0.1; done\"]\n";
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    let mut up = engine.command(&["compose", "up"]);
    up.current_dir(dir.path())
        .stdout(std::process::Stdio::piped());
    let mut child = up.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert_eq!(first, "fg-a-1  | started a");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    // The container got the stop signal (its trap ran) and is recorded as stopped.
    assert_eq!(rest, ["fg-a-1  | bye"]);
    let state = &engine.inspect("fg-a-1")["State"];
    assert_eq!(state["Status"], "exited");
    assert_eq!(state["ExitCode"], 0);
    compose_ok(&engine, dir.path(), &["down"]);
}
