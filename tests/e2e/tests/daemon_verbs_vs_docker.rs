//! The same `docker` commands against real Docker (a private dockerd: `harness::dockerd`) and
//! against `capstone daemon`, where the reply's shape is the question: what `docker diff`
//! lists after the same changes, and which fields `docker stats` fills.

mod capstone_support;
mod daemon_support;

use capstone_support::{Engine, dockerd_with, eventually};
use daemon_support::Daemon;
use std::collections::BTreeSet;

/// What the test container does to its image's files before it says it is ready.
const CHANGES: &str = "echo new > /added; echo more >> /etc/passwd; rm /etc/group; \
                       mkdir -p /tmp/made; touch /ready; sleep 1000";

/// Runs the changing container with `docker` (`run` gives the client), waits until `diff`
/// lists `/ready`, and returns `diff`'s lines as a set.
fn changes(docker: impl Fn(&[&str]) -> String) -> BTreeSet<String> {
    let id = docker(&["run", "-d", "busybox", "sh", "-c", CHANGES]);
    let id = id.trim().to_string();
    let diff = eventually("the container's changes", || {
        let diff = docker(&["diff", &id]);
        diff.lines().any(|l| l == "A /ready").then_some(diff)
    });
    let _ = docker(&["rm", "-f", &id]);
    diff.lines().map(String::from).collect()
}

#[test]
fn docker_diff_lists_what_real_dockers_lists_and_stats_fills_the_same_fields() {
    let engine = Engine::with_busybox();
    let dockerd = dockerd_with(&engine, "busybox");
    let daemon = Daemon::start(&engine);
    let docker_says = changes(|args| dockerd.ok(args));
    let capstone_says = changes(|args| daemon.ok(args));
    assert_eq!(capstone_says, docker_says);

    let fields = |out: String| -> BTreeSet<String> {
        let doc: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let object = doc.as_object().unwrap();
        object
            .iter()
            .filter(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty() && s != "--"))
            .map(|(k, _)| k.clone())
            .collect()
    };
    let stats = ["stats", "--no-stream", "--format", "{{json .}}"];
    let theirs = dockerd.ok(&["run", "-d", "busybox", "sleep", "1000"]);
    let docker_fields = fields(dockerd.ok(&[&stats[..], &[theirs.trim()]].concat()));
    let ours = daemon.ok(&["run", "-d", "busybox", "sleep", "1000"]);
    let capstone_fields = fields(daemon.ok(&[&stats[..], &[ours.trim()]].concat()));
    assert_eq!(capstone_fields, docker_fields);
    let _ = dockerd.ok(&["rm", "-f", theirs.trim()]);
}

/// What `docker cp` learns about `path` in container `id` before copying: the
/// `X-Docker-Container-Path-Stat` header of `HEAD /containers/{id}/archive`, decoded (curl
/// over the daemon's unix socket), without the mtime.
fn path_stat(socket: &std::path::Path, id: &str, path: &str) -> serde_json::Value {
    let out = std::process::Command::new("curl")
        .args(["-sS", "-I", "--unix-socket"])
        .arg(socket)
        .arg(format!("http://docker/containers/{id}/archive?path={path}"))
        .output()
        .unwrap();
    let head = String::from_utf8(out.stdout).unwrap();
    let encoded = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("X-Docker-Container-Path-Stat")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no stat header for {path}: {head}"));
    let decoded = std::process::Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(encoded.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let mut stat: serde_json::Value = serde_json::from_slice(&decoded.stdout).unwrap();
    let mtime = stat.as_object_mut().unwrap().remove("mtime");
    assert!(mtime.is_some_and(|t| t.is_string()), "{stat}");
    stat
}

/// Makes a file, a directory and a symlink in a new container; returns its id.
fn container_with_files(docker: impl Fn(&[&str]) -> String) -> String {
    let script = "printf hello > /f; chmod 640 /f; mkdir -m 1777 /d; ln -s /f /l; \
                  touch /ready; sleep 1000";
    let id = docker(&["run", "-d", "busybox", "sh", "-c", script]);
    let id = id.trim().to_string();
    eventually("the container's files", || {
        let out = docker(&["exec", &id, "ls", "/"]);
        out.lines().any(|l| l == "ready").then_some(())
    });
    id
}

#[test]
fn docker_cp_stats_and_errors_as_real_docker_does() {
    let engine = Engine::with_busybox();
    let dockerd = dockerd_with(&engine, "busybox");
    let daemon = Daemon::start(&engine);
    let theirs = container_with_files(|args| dockerd.ok(args));
    let ours = container_with_files(|args| daemon.ok(args));
    for path in ["/f", "/d", "/l", "/"] {
        let docker_says = path_stat(&dockerd.socket(), &theirs, path);
        let capstone_says = path_stat(&daemon.socket(), &ours, path);
        assert_eq!(capstone_says, docker_says, "{path}");
    }
    // One client (docker v28) for both: the CLI words some failures its own way.
    type Client<'a> = &'a dyn Fn(&[&str]) -> std::process::Command;
    let real_docker = |args: &[&str]| {
        let mut client = daemon.docker(args);
        client.env("DOCKER_HOST", dockerd.host());
        client
    };
    let capstone = |args: &[&str]| daemon.docker(args);
    let run =
        |client: Client, args: &[&str]| capstone_support::Run::from(client(args).output().unwrap());
    // What `docker cp` prints for a missing source and a missing destination.
    let host = tempfile::tempdir().unwrap();
    let file = host.path().join("x");
    std::fs::write(&file, "x").unwrap();
    let failures = |id: &str, client: Client| {
        let out = run(
            client,
            &["cp", &format!("{id}:/nope"), host.path().to_str().unwrap()],
        );
        let into = run(
            client,
            &["cp", file.to_str().unwrap(), &format!("{id}:/no/such")],
        );
        [out, into].map(|r| (r.code != 0, r.stderr.replace(id, "ID")))
    };
    assert_eq!(failures(&ours, &capstone), failures(&theirs, &real_docker));
    // An archive that would swap a directory and a file is refused, and both stay.
    let swaps = host.path().join("swaps");
    std::fs::create_dir_all(swaps.join("f")).unwrap();
    std::fs::write(swaps.join("d"), "a file where a directory is").unwrap();
    let swap = |id: &str, client: Client| {
        let outcomes = ["d", "f"].map(|name| {
            let archive = host.path().join(format!("{name}.tar"));
            let tar = std::process::Command::new("tar")
                .arg("-cf")
                .arg(&archive)
                .arg("-C")
                .arg(&swaps)
                .arg(name)
                .status()
                .unwrap();
            assert!(tar.success());
            let mut cp = client(&["cp", "-", &format!("{id}:/")]);
            let copied = cp.stdin(std::fs::File::open(&archive).unwrap()).output();
            copied.unwrap().status.success()
        });
        let check = run(
            client,
            &["exec", id, "sh", "-c", "test -d /d && test -f /f"],
        );
        (outcomes, check.code == 0)
    };
    let docker_swaps = swap(&theirs, &real_docker);
    assert_eq!(docker_swaps, ([false, false], true));
    assert_eq!(swap(&ours, &capstone), docker_swaps);
    // Who owns a copied file, with and without `-a`, in a container with and without a user.
    let owned = host.path().join("owned");
    std::fs::write(&owned, "owned").unwrap();
    std::os::unix::fs::chown(&owned, Some(1234), Some(4321)).unwrap();
    let owners = |client: Client| {
        let mut seen = Vec::new();
        for user in ["root", "nobody"] {
            let id = run(
                client,
                &["run", "-d", "-u", user, "busybox", "sleep", "1000"],
            )
            .stdout;
            let id = id.trim();
            run(
                client,
                &["cp", "-a", owned.to_str().unwrap(), &format!("{id}:/tmp/a")],
            );
            run(
                client,
                &["cp", owned.to_str().unwrap(), &format!("{id}:/tmp/plain")],
            );
            seen.push(run(
                client,
                &["exec", id, "stat", "-c", "%u:%g", "/tmp/a", "/tmp/plain"],
            ));
            run(client, &["rm", "-f", id]);
        }
        seen.into_iter().map(|r| r.stdout).collect::<Vec<_>>()
    };
    let docker_owners = owners(&real_docker);
    assert!(
        docker_owners.iter().all(|o| o.lines().count() == 2),
        "{docker_owners:?}"
    );
    assert_eq!(owners(&capstone), docker_owners);
    let _ = dockerd.ok(&["rm", "-f", &theirs]);
}

/// `docker images` with a name, a pattern or a filter, against real Docker and `capstone
/// daemon` holding the same tags: the same `name:tag` lines (moby's `reference` filter is Go's
/// `path.Match` on `name:tag` or `name`, so `*` stops at a `/`).
#[test]
fn docker_images_lists_by_name_pattern_and_filter_as_real_docker_does() {
    let engine = Engine::with_busybox();
    let dockerd = dockerd_with(&engine, "busybox");
    let daemon = Daemon::start(&engine);
    let tags = ["lab/app:v1", "lab/app:v2", "lab/db:v1", "tools:v1"];
    for tag in tags {
        dockerd.ok(&["tag", "busybox", tag]);
        daemon.ok(&["tag", "busybox", tag]);
    }
    let asks: [&[&str]; 9] = [
        &["images"],
        &["images", "lab/app"],
        &["images", "lab/app:v2"],
        &["images", "lab/*"],
        &["images", "*"],
        &["images", "*:v1"],
        &["images", "--filter", "reference=lab/*:v1"],
        &["images", "--filter", "dangling=false"],
        &["images", "--filter", "label=nosuch"],
    ];
    let lines = |out: String| -> BTreeSet<String> { out.lines().map(String::from).collect() };
    for ask in asks {
        let ask = [ask, &["--format", "{{.Repository}}:{{.Tag}}"]].concat();
        let docker_says = lines(dockerd.ok(&ask));
        assert_eq!(lines(daemon.ok(&ask)), docker_says, "{ask:?}");
        // And capstone's own CLI, on the same store.
        assert_eq!(lines(engine.ok(&ask)), docker_says, "capstone {ask:?}");
    }
    // Not vacuous: the pattern picked some and left some.
    let picked = lines(daemon.ok(&["images", "lab/*", "--format", "{{.Repository}}:{{.Tag}}"]));
    assert_eq!(picked.len(), 3, "{picked:?}");
}
