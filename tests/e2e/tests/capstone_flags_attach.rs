//! `attach` to a running container: its output from the moment of attaching (not before),
//! its exit code at the end, our SIGTERM forwarded to it (`--sig-proxy`), Ctrl-C detaching
//! with `--sig-proxy=false`; for a `-t` container what we type reaches its shell and the
//! detach keys leave it running; and Docker's refusals.

mod capstone_support;

use capstone_support::{Engine, eventually};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// A running `capstone attach`, its stdout lines arriving on a channel.
struct Attached {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Attached {
    fn start(engine: &Engine, args: &[&str]) -> Attached {
        let mut all = vec!["attach"];
        all.extend_from_slice(args);
        let mut child = engine
            .command(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run capstone attach");
        let (send, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Attached {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Writes `text` to its stdin.
    fn type_text(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits (a minute at most) for a line equal to `want` (a pty's `\r` aside).
    fn expect(&mut self, want: &str) {
        while !self.seen.iter().any(|l| l.trim_end_matches('\r') == want) {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => self.seen.push(line),
                Err(e) => panic!("no {want:?} from attach ({e}); saw {:?}", self.seen),
            }
        }
    }

    /// Waits for it to end; its exit code and every line it printed.
    fn finish(mut self) -> (i32, Vec<String>) {
        let status = self.child.wait().unwrap();
        self.seen.extend(self.lines.iter());
        (status.code().unwrap_or(-1), std::mem::take(&mut self.seen))
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) of our own child, which has not been reaped yet.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0);
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `attached` ends with 0 and leaves container `id` running.
fn assert_detached(engine: &Engine, attached: Attached, id: &str) {
    let (code, lines) = attached.finish();
    assert_eq!(code, 0, "detached: {lines:?}");
    assert_eq!(
        engine.inspect(id)["State"]["Running"],
        true,
        "still running"
    );
}

/// A container that prints `before`, then `tick` until `/tmp/go` exists, then `after`,
/// and exits 7.
const TICKER: &str =
    "echo before; until [ -e /tmp/go ]; do echo tick; sleep 0.1; done; echo after; exit 7";

#[test]
fn attach_shows_output_from_now_on_and_ends_with_the_exit_code() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sh", "-c", TICKER]);
    eventually(&format!("output from {id}"), || {
        engine.ok(&["logs", &id]).contains("before").then_some(())
    });
    let mut attached = Attached::start(&engine, &[&id]);
    attached.expect("tick"); // it is following now
    engine.ok(&["exec", &id, "touch", "/tmp/go"]);
    let (code, lines) = attached.finish();
    assert_eq!(code, 7, "the container's exit code: {lines:?}");
    assert_eq!(lines.last().map(String::as_str), Some("after"));
    assert!(
        !lines.iter().any(|l| l == "before"),
        "only output after attaching: {lines:?}"
    );
}

#[test]
fn sig_proxy_forwards_our_sigterm_and_without_it_ctrl_c_detaches() {
    let engine = Engine::with_busybox();
    let script = "trap 'echo got-TERM; exit 5' TERM; while :; do echo tick; sleep 0.1; done";
    let id = engine.detached(&["busybox", "sh", "-c", script]);
    let mut attached = Attached::start(&engine, &["--sig-proxy=false", &id]);
    attached.expect("tick");
    attached.signal(libc::SIGINT);
    assert_detached(&engine, attached, &id);
    let mut attached = Attached::start(&engine, &[&id]);
    attached.expect("tick");
    attached.signal(libc::SIGTERM);
    let (code, lines) = attached.finish();
    assert_eq!(code, 5, "{lines:?}");
    assert!(lines.iter().any(|l| l == "got-TERM"), "{lines:?}");
}

#[test]
fn attach_refuses_a_stopped_container_and_stdin_it_cannot_give() {
    let engine = Engine::with_busybox();
    engine.ok(&["create", "--name", "idle", "busybox", "true"]);
    let run = engine.run(&["attach", "idle"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("start it first"), "{run:?}");
    let id = engine.detached(&["-i", "busybox", "sleep", "1000"]); // -i without -t
    let run = engine.run(&["attach", &id]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("--no-stdin"), "{run:?}");
}

#[test]
fn typed_keys_reach_a_tty_containers_shell_and_the_detach_keys_leave_it_running() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["-it", "busybox", "sh"]);
    let mut attached = Attached::start(&engine, &[&id]);
    attached.type_text("echo hi-$((40+2))\n");
    attached.expect("hi-42"); // computed by the shell, not our echo of the keys
    attached.type_text("\x10\x11"); // Ctrl-P Ctrl-Q
    assert_detached(&engine, attached, &id);
    let mut attached = Attached::start(&engine, &["--detach-keys", "ctrl-x,x", &id]);
    attached.type_text("\x18x");
    assert_detached(&engine, attached, &id);
    let mut attached = Attached::start(&engine, &[&id]);
    attached.type_text("exit 3\n");
    let (code, lines) = attached.finish();
    assert_eq!(code, 3, "the shell's exit code: {lines:?}");
    let run = engine.run(&["attach", "--detach-keys", "ctrl-", &id]);
    assert_ne!(run.code, 0, "{run:?}");
}
