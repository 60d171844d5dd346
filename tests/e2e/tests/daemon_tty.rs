//! `capstone daemon` and terminals: `POST /containers/{id}/resize` sets the window size of a
//! running `-t` container's pty (TIOCSWINSZ on a copy of its monitor's pty master). The effect
//! is read in the kernel: `stty size` on the container's own terminal, which its first
//! process holds as stdin (`/proc/1/fd/0` inside its PID namespace), through `docker exec`.
//!
//! Typing into `docker run -it` / `docker exec -it` through the daemon is not here yet: see
//! book/src/daemon.md.

mod capstone_support;
mod daemon_support;

use capstone_support::Engine;
use daemon_support::Daemon;
use std::process::Command;

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
