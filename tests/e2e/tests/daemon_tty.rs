//! `capstone daemon` and terminals: `POST /containers/{id}/resize` sets the window size of a
//! running `-t` container's pty (TIOCSWINSZ on a copy of its monitor's pty master). The effect
//! is read in the kernel: `stty size` on the container's own terminal, which its first
//! process holds as stdin (`/proc/1/fd/0` inside its PID namespace), through `docker exec`.
//!
//!
//! And input: the real `docker` CLI runs on a pty the test opens (as a shell would run it), and
//! what the test types travels over the hijacked connection into the container's pty
//! (`run -it`, `attach`) or the exec'd process's own pty (`exec -it`); the shell's answer, its
//! exit code and the CLI's restored terminal are what is checked. Without a tty, `run -i` and
//! `exec -i` read a pipe the client's input is copied into, ended by the client's half-close.

mod capstone_support;
mod daemon_support;
mod tty_support;

use capstone_support::Engine;
use daemon_support::Daemon;
use std::io::Write;
use std::process::{Command, Stdio};
use tty_support::OnPty;

/// `POST path` on the daemon's socket with curl; returns the HTTP status and the body.
fn post(daemon: &Daemon, path: &str) -> (String, String) {
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}", "-X", "POST", "--unix-socket"])
        .arg(daemon.socket())
        .arg(format!("http://capstone{path}"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (status.to_string(), body.to_string())
}

#[test]
fn resize_sets_the_window_of_a_running_tty_container() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let id = daemon.ok(&[
        "run", "-d", "-t", "--name", "term", "busybox", "sleep", "1000",
    ]);
    let id = id.trim();
    let size = || daemon.ok(&["exec", "term", "sh", "-c", "stty size </proc/1/fd/0"]);
    assert_ne!(size().trim(), "33 111", "not the size we are about to set");
    let (status, body) = post(&daemon, &format!("/containers/{id}/resize?h=33&w=111"));
    assert_eq!(status, "200", "{body}");
    assert_eq!(
        size().trim(),
        "33 111",
        "the container's pty has the new size"
    );
    let (status, body) = post(&daemon, "/containers/term/resize?h=tall&w=111");
    assert_eq!(status, "400", "{body}");
    assert!(body.contains("invalid h="), "{body}");
    assert_eq!(size().trim(), "33 111", "a refused resize changes nothing");
    // Without a tty there is no window: nothing to do, not an error.
    daemon.ok(&["run", "-d", "--name", "plain", "busybox", "sleep", "1000"]);
    let (status, body) = post(&daemon, "/containers/plain/resize?h=10&w=10");
    assert_eq!(status, "200", "{body}");
    daemon.ok(&["rm", "-f", "term", "plain"]);
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
}

#[test]
fn run_it_through_the_daemon_gives_a_shell_that_hears_what_we_type() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let cmd = daemon.docker(&["run", "--rm", "-it", "busybox", "sh"]);
    let mut pty = OnPty::spawn(cmd, 24, 80);
    pty.expect("# "); // the shell's prompt came out through the daemon
    // `RE''ADY` echoes as typed, but only the shell running it prints `READY`.
    pty.type_text("echo RE''ADY $((40 + 2)); stty size; exit 3\r");
    pty.expect("READY 42");
    let (code, out) = pty.finish();
    assert_eq!(code, 3, "{out:?}\ndaemon log:\n{}", daemon.log());
    assert!(
        out.contains("24 80"),
        "the CLI sent our window size: {out:?}"
    );
    assert_eq!(engine.ok(&["ps", "-aq"]), "", "--rm removed it");
}

#[test]
fn exec_it_through_the_daemon_runs_a_shell_on_a_pty_of_its_own() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    daemon.ok(&["run", "-d", "--name", "box", "busybox", "sleep", "1000"]);
    let cmd = daemon.docker(&["exec", "-it", "box", "sh"]);
    let mut pty = OnPty::spawn(cmd, 33, 111);
    pty.expect("# ");
    pty.type_text("echo RE''ADY; tty; stty size; exit 3\r");
    pty.expect("READY");
    let (code, out) = pty.finish();
    assert_eq!(code, 3, "{out:?}\ndaemon log:\n{}", daemon.log());
    assert!(out.contains("/dev/pts/"), "a pty of its own: {out:?}");
    assert!(
        out.contains("33 111"),
        "the exec resize reached it: {out:?}"
    );
    daemon.ok(&["rm", "-f", "box"]);
}

#[test]
fn attach_to_an_it_container_types_into_its_shell() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    daemon.ok(&["run", "-d", "-it", "--name", "term", "busybox", "sh"]);
    let mut pty = OnPty::spawn(daemon.docker(&["attach", "term"]), 24, 80);
    pty.type_text("echo RE''ADY\r");
    pty.expect("READY");
    pty.type_text("exit 4\r");
    let (code, out) = pty.finish();
    assert_eq!(code, 4, "{out:?}\ndaemon log:\n{}", daemon.log());
    let state = daemon.ok(&[
        "inspect",
        "-f",
        "{{.State.Status}} {{.State.ExitCode}}",
        "term",
    ]);
    assert_eq!(state.trim(), "exited 4");
    daemon.ok(&["rm", "term"]);
}

#[test]
fn exec_i_without_a_tty_reads_piped_input_to_its_end() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    daemon.ok(&["run", "-d", "--name", "box", "busybox", "sleep", "1000"]);
    let mut child = daemon
        .docker(&["exec", "-i", "box", "tr", "a-z", "A-Z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello\nworld\n").unwrap();
    drop(stdin); // the CLI half-closes; `tr` reads end of file and exits
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{out:?}\ndaemon log:\n{}",
        daemon.log()
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "HELLO\nWORLD\n");
    daemon.ok(&["rm", "-f", "box"]);
}

#[test]
fn run_i_without_a_tty_reads_piped_input_to_its_end() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let mut child = daemon
        .docker(&["run", "--rm", "-i", "busybox", "tr", "a-z", "A-Z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello\nworld\n").unwrap();
    drop(stdin); // the CLI half-closes; the container's stdin ends
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{out:?}\ndaemon log:\n{}",
        daemon.log()
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "HELLO\nWORLD\n");
    assert_eq!(engine.ok(&["ps", "-aq"]), "", "--rm removed it");
    // `start -ai` attaches a created container's stdin the same way, before its start.
    daemon.ok(&[
        "create", "-i", "--name", "shout", "busybox", "tr", "a-z", "A-Z",
    ]);
    let mut child = daemon
        .docker(&["start", "-ai", "shout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"again\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{out:?}\ndaemon log:\n{}",
        daemon.log()
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "AGAIN\n");
    daemon.ok(&["rm", "shout"]);
}

#[test]
fn exec_d_answers_at_once_and_the_process_runs_on() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    daemon.ok(&["run", "-d", "--name", "box", "busybox", "sleep", "1000"]);
    // No stream to hold: the CLI returns while the process still runs.
    daemon.ok(&["exec", "-d", "box", "sh", "-c", "sleep 1; touch /tmp/done"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while daemon.run(&["exec", "box", "test", "-e", "/tmp/done"]).code != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the detached process never finished:\n{}",
            daemon.log()
        );
    }
    assert!(daemon.log().contains("/start → 200"), "{}", daemon.log());
    daemon.ok(&["rm", "-f", "box"]);
}
