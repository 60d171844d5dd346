//! Terminals end to end, with a real pty on the test's side: the test opens a pty pair
//! (openpty(3)), runs the CLI with the slave as its stdin, stdout, stderr and controlling
//! terminal — as a shell would — and reads and types on the master. Checked: the container's
//! pty comes from its own devpts (`tty` names `/dev/pts/0`), the window size travels in at
//! start and on a resize (SIGWINCH), typed input reaches the shell, exit codes pass through,
//! and our terminal leaves raw mode again; the same for `exec -t` and `start -ai`.

mod capstone_support;
mod tty_support;

use capstone_support::Engine;
use nix::fcntl::OFlag;
use nix::pty::{Winsize, posix_openpt};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use tty_support::{OnPty, size};

/// Starts `capstone ARGS` with a new pty of `rows`×`cols` as its terminal.
fn on_pty(engine: &Engine, args: &[&str], rows: u16, cols: u16) -> OnPty {
    OnPty::spawn(engine.command(args), rows, cols)
}

#[test]
fn run_it_gives_the_container_a_pty_of_its_own_devpts_with_our_window_size() {
    let engine = Engine::with_busybox();
    let pty = on_pty(
        &engine,
        &[
            "run",
            "--rm",
            "-it",
            "busybox",
            "sh",
            "-c",
            "tty; stty size; ls -1 /dev/pts; exit 3",
        ],
        33,
        101,
    );
    let (code, out) = pty.finish();
    assert_eq!(code, 3, "{out:?}");
    assert!(out.contains("/dev/pts/0\r\n"), "{out:?}");
    assert!(out.contains("33 101\r\n"), "{out:?}");
    assert!(
        out.contains("0\r\nptmx\r\n"),
        "only the container's own pty: {out:?}"
    );
}

#[test]
fn typed_input_reaches_the_shell_and_a_resize_reaches_its_pty() {
    let engine = Engine::with_busybox();
    let mut pty = on_pty(&engine, &["run", "--rm", "-it", "busybox", "sh"], 24, 80);
    // `RE''ADY` echoes as typed, but only the shell running it prints `READY`.
    pty.type_text("echo RE''ADY $((40 + 2))\n");
    pty.expect("READY 42");
    nix::ioctl_write_ptr_bad!(set_window_size, libc::TIOCSWINSZ, Winsize);
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer; the fd is our open master.
    unsafe { set_window_size(pty.master.as_raw_fd(), &size(50, 132)) }.unwrap();
    pty.type_text("stty size; exit 7\n");
    pty.expect("50 132");
    let (code, out) = pty.finish();
    assert_eq!(code, 7, "{out:?}");
}

#[test]
fn exec_t_gets_its_own_pty_with_our_window_size() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let pty = on_pty(
        &engine,
        &[
            "exec",
            "-it",
            &id,
            "sh",
            "-c",
            "tty; stty size; echo TERM=$TERM; exit 4",
        ],
        19,
        77,
    );
    let (code, out) = pty.finish();
    assert_eq!(code, 4, "{out:?}");
    assert!(out.contains("/dev/pts/0\r\n"), "{out:?}");
    assert!(out.contains("19 77\r\n"), "{out:?}");
    assert!(out.contains("TERM=xterm\r\n"), "as Docker sets it: {out:?}");
    // Without -t, exec has no terminal, as in Docker.
    let plain = engine.run(&["exec", &id, "tty"]);
    assert_eq!(plain.stdout, "not a tty\n");
}

#[test]
fn exec_t_as_another_user_owns_its_pty() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let pty = on_pty(
        &engine,
        &[
            "exec",
            "-t",
            "-u",
            "1000",
            &id,
            "sh",
            "-c",
            "stat -c %u $(tty)",
        ],
        24,
        80,
    );
    let (code, out) = pty.finish();
    assert_eq!(code, 0, "{out:?}");
    // Without -i our terminal stays cooked (as Docker leaves it), so lines end "\r\r\n".
    assert!(
        out.contains("\n1000\r") || out.starts_with("1000\r"),
        "{out:?}"
    );
}

#[test]
fn start_ai_attaches_our_terminal_to_a_created_it_container() {
    let engine = Engine::with_busybox();
    let id = engine
        .ok(&["create", "-it", "busybox", "sh"])
        .trim()
        .to_string();
    let mut pty = on_pty(&engine, &["start", "-ai", &id], 24, 80);
    pty.type_text("tty; exit 6\n");
    pty.expect("/dev/pts/0");
    let (code, out) = pty.finish();
    assert_eq!(code, 6, "{out:?}");
}

#[test]
fn start_ai_without_a_tty_passes_stdin_through() {
    let engine = Engine::with_busybox();
    let id = engine.ok(&["create", "-i", "busybox", "tr", "a-z", "A-Z"]);
    let mut child = engine
        .command(&["start", "-ai", id.trim()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"shout\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "SHOUT\n");
    // `start -a` alone does not attach stdin (Docker's rule): tr reads end-of-file at once.
    let out = engine
        .command(&["start", "-a", id.trim()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

#[test]
fn a_bare_run_at_a_terminal_attaches_it_as_if_it_were_given() {
    // Issue #8's card: `capstone run alpine sh` at a terminal gives a working shell.
    let engine = Engine::with_busybox();
    let mut pty = on_pty(&engine, &["run", "--rm", "busybox", "sh"], 24, 80);
    pty.type_text("tty; exit 9\n");
    pty.expect("/dev/pts/0");
    let (code, out) = pty.finish();
    assert_eq!(code, 9, "{out:?}");
}

#[test]
fn run_dt_logs_a_tty_of_80_by_24_from_the_containers_devpts() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["-t", "busybox", "sh", "-c", "tty; stty size"]);
    assert_eq!(engine.ok(&["wait", &id]), "0\n");
    assert_eq!(engine.ok(&["logs", &id]), "/dev/pts/0\r\n24 80\r\n");
}

#[test]
fn exec_it_told_to_stop_restores_our_terminal_and_hangs_up_the_shell() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let mut pty = on_pty(&engine, &["exec", "-it", &id, "sh"], 24, 80);
    // The shell leads its terminal's session (field 6 of /proc/PID/stat is the session id):
    // a hang-up signals the session leader alone, so only then is the SIGHUP certain to reach
    // the shell before it reads end-of-file.
    pty.type_text("[ \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$ ] && echo LEA''DER\n");
    pty.expect("LEADER");
    pty.type_text("echo RE''ADY\n");
    pty.expect("READY");
    let cli = nix::unistd::Pid::from_raw(pty.child.id() as i32);
    nix::sys::signal::kill(cli, nix::sys::signal::Signal::SIGTERM).unwrap();
    let (code, out) = pty.finish(); // asserts the terminal is cooked again
    assert_eq!(code, 128 + 1, "the shell died of SIGHUP: {out:?}");
    let left = engine.ok(&["exec", &id, "ps", "-o", "comm"]);
    assert_eq!(
        left.matches("sh\n").count(),
        0,
        "no shell left behind: {left}"
    );
}

#[test]
fn login_at_a_terminal_asks_and_does_not_echo_the_password() {
    let registry = harness::registry::Registry::start(harness::registry::Auth::Basic {
        user: "student".into(),
        password: "hunter2-secret".into(),
    });
    let engine = Engine::new();
    let mut pty = on_pty(&engine, &["login", &registry.host()], 24, 80);
    pty.expect("Username: ");
    pty.type_text("student\n");
    pty.expect("Password: ");
    pty.type_text("hunter2-secret\n");
    pty.expect("Login Succeeded");
    let (code, out) = pty.finish();
    assert_eq!(code, 0, "{out:?}");
    assert!(out.contains("student"), "the user name is echoed: {out:?}");
    assert!(!out.contains("hunter2"), "the password is not: {out:?}");
    assert!(engine.root.path().join("config.json").exists());
}

#[test]
fn ctrl_c_at_the_password_prompt_gives_the_echo_back() {
    let registry = harness::registry::Registry::start(harness::registry::Auth::Basic {
        user: "student".into(),
        password: "hunter2-secret".into(),
    });
    let engine = Engine::new();
    let mut pty = on_pty(
        &engine,
        &["login", "-u", "student", &registry.host()],
        24,
        80,
    );
    pty.expect("Password: ");
    pty.type_text("\x03"); // Ctrl-C: the line discipline sends SIGINT
    let (code, out) = pty.finish(); // asserts echo and line editing are back on
    assert_eq!(code, -1, "died of SIGINT, as asked: {out:?}");
    assert!(!engine.root.path().join("config.json").exists());
}

#[test]
fn a_pty_master_the_caller_left_open_stays_out_of_the_monitor() {
    // A shell or a daemon may start the CLI with descriptors open across exec. The monitor
    // outlives the CLI and must not keep them: `attach` and the Engine API's resize take the
    // container's pty master from among the monitor's descriptors.
    let engine = Engine::with_busybox();
    let stray = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC).unwrap();
    let stray = stray.as_raw_fd();
    let mut cmd = engine.command(&["run", "-d", "-t", "busybox", "sleep", "1000"]);
    // SAFETY: only dup2(2), async-signal-safe, runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            // dup2 clears close-on-exec on the copy: the CLI inherits fd 100, a pty master.
            if libc::dup2(stray, 100) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let monitor = capstone_support::monitors_of(&id)[0];
    // proc(5): the kernel prints `tty-index:` in the fdinfo of a pty master only.
    let fdinfo = format!("/proc/{monitor}/fdinfo");
    let masters: Vec<String> = std::fs::read_dir(&fdinfo)
        .unwrap()
        .flatten()
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|info| info.contains("tty-index:")))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        masters.len(),
        1,
        "the monitor's pty masters, by fd: {masters:?}"
    );
    assert_ne!(masters, ["100"], "the one it holds is the container's");
}
