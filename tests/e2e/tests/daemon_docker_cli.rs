//! `capstone daemon` driven by the real `docker` CLI (v28, which talks down to our API 1.41):
//! version and info, `docker run` in the foreground (output on the attach stream, the exit
//! code from `wait`), a detached container through ps, exec, logs, stop and rm, the CLI and
//! the daemon on one root, a daemon restarted while containers run, and a missing image
//! pulled by the CLI after the daemon's 404. Effects are checked in the kernel (`/proc`) and
//! through the capstone CLI on the same root, not only in what docker prints.

mod capstone_support;
mod daemon_support;

use capstone_support::Engine;
use daemon_support::Daemon;
use std::io::{Read, Write};
use std::path::Path;

/// Whether `pid` is a live process (a zombie counts as gone).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// One raw HTTP/1.1 request on the socket; returns the whole response.
fn raw_request(socket: &Path, request: &str) -> String {
    let mut stream = std::os::unix::net::UnixStream::connect(socket).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn docker_version_and_info_show_the_capstone_daemon_and_errors_are_dockers() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let version = daemon.ok(&[
        "version",
        "--format",
        "{{.Server.Platform.Name}} {{.Server.APIVersion}} {{.Client.APIVersion}}",
    ]);
    assert_eq!(
        version.trim(),
        "capstone daemon 1.41 1.41",
        "the CLI negotiated down"
    );
    let info = daemon.ok(&[
        "info",
        "--format",
        "{{.Images}} {{.Driver}} {{.DockerRootDir}}",
    ]);
    assert_eq!(
        info.trim(),
        format!("1 overlay {}", engine.root.path().display())
    );
    let head = raw_request(
        &daemon.socket(),
        "HEAD /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("Api-Version: 1.41"), "{head}");
    let unknown = raw_request(
        &daemon.socket(),
        "GET /v1.41/nothing/here HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
    );
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    assert!(
        unknown.ends_with(r#"{"message":"page not found"}"#),
        "{unknown}"
    );
    let body = "{not json";
    let bad = raw_request(
        &daemon.socket(),
        &format!(
            "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
    assert!(bad.contains("invalid JSON"), "{bad}");
    // A time past what a clock holds is refused, not a panic in the handler (the fuzzers found
    // the same panic in the compose file's durations).
    let far = raw_request(
        &daemon.socket(),
        "GET /events?since=1e300 HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
    );
    assert!(far.starts_with("HTTP/1.1 400"), "{far}");
    assert!(far.contains("invalid since"), "{far}");
    // `-i` takes stdin (here /dev/null: `cat` reads end of file at once and exits 0);
    // daemon_tty.rs types and pipes into it.
    let interactive = daemon.run(&["run", "--rm", "-i", "busybox", "cat"]);
    assert_eq!(
        (interactive.code, interactive.stdout.as_str()),
        (0, ""),
        "{interactive:?}"
    );
    let missing = daemon.run(&["inspect", "--type", "container", "nosuch"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("no such container"), "{missing:?}");
}

#[test]
fn docker_run_rm_prints_both_streams_exits_with_the_code_and_leaves_nothing() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let run = daemon.run(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(run.code, 3, "{run:?}\n{}", daemon.log());
    assert_eq!(run.stdout, "out\n");
    assert_eq!(run.stderr, "err\n");
    assert_eq!(daemon.ok(&["run", "--rm", "busybox", "echo", "hi"]), "hi\n");
    // `--rm`: the monitor removed it; the capstone CLI on the same root agrees.
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    assert!(
        daemon.log().contains("wait?condition=removed → 200"),
        "{}",
        daemon.log()
    );
}

#[test]
fn a_detached_container_goes_through_ps_exec_logs_stop_and_rm() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let id = daemon.ok(&["run", "-d", "--name", "web", "busybox", "sleep", "1000"]);
    let id = id.trim();
    assert_eq!(id.len(), 64);
    let pid = daemon.ok(&["inspect", "-f", "{{.State.Pid}}", "web"]);
    let pid = pid.trim();
    assert!(alive(pid), "container process {pid} runs");
    let ours = std::fs::read_link("/proc/self/ns/pid").unwrap();
    assert_ne!(
        std::fs::read_link(format!("/proc/{pid}/ns/pid")).unwrap(),
        ours
    );
    let ps = daemon.ok(&["ps", "--format", "{{.ID}} {{.Names}} {{.Status}}"]);
    assert!(ps.starts_with(&format!("{} web Up", &id[..12])), "{ps}");
    // The capstone CLI sees what the daemon made.
    assert!(engine.ok(&["ps"]).contains("web"));
    assert_eq!(daemon.ok(&["exec", "web", "hostname"]).trim(), &id[..12]);
    let exec = daemon.run(&["exec", "web", "sh", "-c", "echo to-err >&2; exit 4"]);
    assert_eq!((exec.code, exec.stderr.as_str()), (4, "to-err\n"));
    daemon.ok(&["stop", "-t", "1", "web"]);
    assert!(!alive(pid), "stopped: {pid} is gone");
    assert_eq!(
        daemon
            .ok(&["inspect", "-f", "{{.State.ExitCode}}", "web"])
            .trim(),
        "137"
    );
    daemon.ok(&["stop", "web"]); // 304 Not Modified: already stopped, not an error
    daemon.ok(&[
        "run",
        "-d",
        "--name",
        "printer",
        "busybox",
        "sh",
        "-c",
        "echo hello; echo oops >&2",
    ]);
    assert_eq!(daemon.ok(&["wait", "printer"]).trim(), "0");
    let logs = daemon.run(&["logs", "printer"]);
    assert_eq!(
        (logs.stdout.as_str(), logs.stderr.as_str()),
        ("hello\n", "oops\n")
    );
    let printer = daemon.ok(&["inspect", "-f", "{{.Id}}", "printer"]);
    let pruned = daemon.ok(&["container", "prune", "-f"]);
    assert!(
        pruned.contains(id) && pruned.contains(printer.trim()),
        "{pruned}"
    );
    assert_eq!(daemon.ok(&["ps", "-aq"]), "");
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
}

#[test]
fn a_restarted_daemon_finds_the_containers_that_ran_on_without_it() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    daemon.ok(&[
        "run", "-d", "--name", "survivor", "busybox", "sleep", "1000",
    ]);
    let pid = daemon.ok(&["inspect", "-f", "{{.State.Pid}}", "survivor"]);
    let socket = daemon.socket();
    assert_eq!(daemon.stop(), Some(0), "SIGTERM stops the daemon cleanly");
    assert!(!socket.exists(), "the socket is removed");
    assert!(alive(pid.trim()), "the container runs on under its monitor");
    let daemon = Daemon::start(&engine);
    let ps = daemon.ok(&["ps", "--format", "{{.Names}} {{.State}}"]);
    assert_eq!(ps.trim(), "survivor running");
    daemon.ok(&["rm", "-f", "survivor"]);
    assert!(!alive(pid.trim()));
}

#[test]
fn many_clients_at_once_each_get_their_own_output_and_a_vanished_client_harms_nothing() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    daemon.ok(&[
        "run",
        "-d",
        "--name",
        "talker",
        "busybox",
        "sh",
        "-c",
        "echo first; exec sleep 1000",
    ]);
    // A client that follows the logs and is killed mid-stream.
    let mut follower = daemon
        .docker(&["logs", "-f", "talker"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 6];
    follower
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    assert_eq!(&first, b"first\n");
    follower.kill().unwrap();
    follower.wait().unwrap();
    // Eight `docker run`s at once: each sees its own line and its own exit code.
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..8)
            .map(|n| {
                let daemon = &daemon;
                scope.spawn(move || {
                    let script = format!("echo run-{n}; exit {n}");
                    (
                        n,
                        daemon.run(&["run", "--rm", "busybox", "sh", "-c", &script]),
                    )
                })
            })
            .collect();
        for run in runs {
            let (n, run) = run.join().unwrap();
            assert_eq!(
                (run.code, run.stdout.as_str()),
                (n, format!("run-{n}\n").as_str()),
                "{run:?}"
            );
        }
    });
    // The daemon still serves, and only `talker` is left.
    let ps = daemon.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(ps.trim(), "talker");
}

#[test]
fn wait_for_removed_answers_its_headers_at_once_and_its_body_only_after_rm() {
    use std::io::BufRead;
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let id = daemon.ok(&["run", "-d", "busybox", "sh", "-c", "exit 5"]);
    let id = id.trim();
    assert_eq!(daemon.ok(&["wait", id]).trim(), "5");
    let mut stream = std::os::unix::net::UnixStream::connect(daemon.socket()).unwrap();
    // A deadline, so a reply that never comes fails the test instead of hanging it.
    let deadline = std::time::Duration::from_secs(60);
    stream.set_read_timeout(Some(deadline)).unwrap();
    let request = format!(
        "POST /v1.41/containers/{id}/wait?condition=removed HTTP/1.1\r\nHost: d\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = std::io::BufReader::new(stream);
    let mut status = String::new();
    reply.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    // The headers came while the container still exists: the wait is registered. Now remove it.
    loop {
        let mut line = String::new();
        reply.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
    }
    assert!(engine.ok(&["ps", "-aq"]).len() > 1, "still there before rm");
    daemon.ok(&["rm", id]);
    let mut body = String::new();
    reply.read_to_string(&mut body).unwrap();
    assert!(body.contains(r#""StatusCode":5"#), "{body}");
}
