//! Acting on an existing container: start it (through a detached monitor), stop, kill, pause,
//! unpause, wait for it, remove it. Waiting is done on events — a pidfd(2) becomes readable when
//! its process exits — never by sleeping and looking again.

use crate::engine::remove;
use crate::mechanisms::cgroup;
use crate::mechanisms::process::{alive, wait_for_exit};
use crate::model::container::Container;
use crate::{Error, Result, store};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The hidden subcommand a detached monitor runs as.
pub const MONITOR_COMMAND: &str = "__monitor";

/// Starts a created or exited container in the background: re-executes this program as its
/// monitor in a new session (setsid(2)) and waits only for the monitor's "started" line.
pub fn start_detached(paths: &store::Paths, record: &Container) -> Result<()> {
    start_monitored(paths, record).map(drop)
}

/// [`start_detached`], handing back the monitor (`None` if the container was running already).
/// The monitor's exit status is the container's exit code: a long-lived caller (the Engine API
/// daemon) waits for it to learn the code even of a `--rm` container, whose record is gone by
/// then, and so reaps it (a process that never waits for its children collects zombies).
pub fn start_monitored(
    paths: &store::Paths,
    record: &Container,
) -> Result<Option<std::process::Child>> {
    start_monitored_with_stdin(paths, record, None)
}

/// [`start_monitored`], the monitor's stdin being `stdin` (else /dev/null): what a `-i`
/// container without a tty reads (the write end's holder decides when it ends).
pub fn start_monitored_with_stdin(
    paths: &store::Paths,
    record: &Container,
    stdin: Option<OwnedFd>,
) -> Result<Option<std::process::Child>> {
    if record.is_active() {
        return Ok(None); // Docker: starting a running container is not an error
    }
    spawn_monitor_with_stdin(paths, record, stdin).map(Some)
}

/// A start by hand (`start`, `run`, `restart`): its restart policy applies afresh — the count
/// starts again at 0 and a `stop` before no longer holds it back (as Docker's `start` does).
pub fn started_by_hand(paths: &store::Paths, record: &Container) -> Result<()> {
    // (Nothing to reset — a container never started, say — is no reason to rewrite its record.)
    let reset = record.state.manually_stopped || record.state.restart_count != 0;
    if reset && !record.is_active() {
        crate::store::containers::update(paths, &record.id, |c| {
            c.state.manually_stopped = false;
            c.state.restart_count = 0;
        })?;
    }
    Ok(())
}

/// Re-executes this program as the container's detached monitor (see [`start_detached`]);
/// also how a foreground `run` hands a container its restart policy wants again to a monitor
/// that outlives the CLI.
pub fn spawn_monitor(paths: &store::Paths, record: &Container) -> Result<std::process::Child> {
    spawn_monitor_with_stdin(paths, record, None)
}

fn spawn_monitor_with_stdin(
    paths: &store::Paths,
    record: &Container,
    stdin: Option<OwnedFd>,
) -> Result<std::process::Child> {
    let exe =
        std::env::current_exe().map_err(Error::io("find own executable", "/proc/self/exe"))?;
    let log_path = paths.container_dir(&record.id).join("monitor.log");
    let log = std::fs::File::create(&log_path).map_err(Error::io("create", &log_path))?;
    let mut command = Command::new(exe);
    command
        .arg("--root")
        .arg(&paths.root)
        .arg("--runroot")
        .arg(&paths.runroot)
        .arg(MONITOR_COMMAND)
        .arg(&record.id)
        .stdin(stdin.map_or_else(Stdio::null, Stdio::from))
        .stdout(Stdio::piped())
        .stderr(log);
    // SAFETY: setsid(2) and close_range(2) are async-signal-safe; the closure allocates nothing.
    unsafe {
        command.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            // A descriptor our caller left open across exec (a shell's, or a test's pty master:
            // openpty(3) does not set close-on-exec) would live on in a monitor that outlives
            // us, and `pty_share::master_of` would take a stray pty master for the container's.
            // Only 0, 1 and 2 go on: every descriptor from 3 up closes at the exec.
            if libc::close_range(
                3,
                libc::c_uint::MAX,
                libc::CLOSE_RANGE_CLOEXEC as libc::c_int,
            ) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(Error::io("start monitor for", &record.id))?;
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(Error::io("read from monitor of", &record.id))?;
    if line.trim_end() == "ok" {
        return Ok(child);
    }
    // It failed and is on its way out (having said why): reap it.
    let _ = child.wait();
    match line.trim_end() {
        "" => Err(Error::Start {
            id: record.short_id().into(),
            why: format!("the monitor died; see {}", log_path.display()),
        }),
        why => Err(Error::Start {
            id: record.short_id().into(),
            why: why.strip_prefix("error: ").unwrap_or(why).into(),
        }),
    }
}

/// The detached monitor's own entry point: tells the CLI waiting on our stdout "ok" (or the
/// error) once the container runs, then stays to the end.
pub fn monitor_main(paths: &store::Paths, id: &str) -> Result<i32> {
    use std::io::Write;
    // Keep the pipe to the CLI aside and put /dev/null in its place, so nothing else (in
    // particular not the container) ever writes to it.
    let ready_fd = nix::fcntl::fcntl(
        std::io::stdout().as_fd(),
        nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(3),
    )
    .map_err(Error::sys("fcntl(F_DUPFD_CLOEXEC)"))?;
    // SAFETY: fcntl just returned this new descriptor; nothing else owns it.
    let mut ready = Some(std::fs::File::from(unsafe {
        OwnedFd::from_raw_fd(ready_fd)
    }));
    let null = std::fs::File::options()
        .write(true)
        .open("/dev/null")
        .map_err(Error::io("open", "/dev/null"))?;
    // SAFETY: dup2 onto fd 1, which no Rust object owns exclusively.
    unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 1) };
    let result = crate::engine::restart::supervise(paths, id, |_| {
        if let Some(mut pipe) = ready.take() {
            let _ = pipe.write_all(b"ok\n");
        }
    });
    if let (Err(e), Some(mut pipe)) = (&result, ready.take()) {
        let _ = writeln!(pipe, "error: {e}");
        // The container never started: say why in its record too.
        let _ = crate::store::containers::update(paths, id, |c| c.state.error = e.to_string());
        if let Ok(record) = crate::store::containers::load(paths, id)
            && record.host_config.auto_remove
        {
            let _ = remove::remove(paths, &record);
        }
    }
    result
}

/// Parses a signal given as `KILL`, `SIGKILL` or `9`.
pub fn parse_signal(text: &str) -> Result<Signal> {
    if let Ok(n) = text.parse::<i32>() {
        return Signal::try_from(n)
            .map_err(|_| Error::invalid("signal", text, "no such signal number"));
    }
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse()
        .map_err(|_| Error::invalid("signal", text, "use a name like TERM or KILL, or a number"))
}

/// `kill`: sends `signal` to the container's first process (kill(2)).
pub fn kill_container(record: &Container, signal: Signal) -> Result<()> {
    if !record.state.running && !record.state.paused {
        return Err(Error::WrongState {
            id: record.short_id().into(),
            state: record.state.status.clone(),
            hint: "it is not running",
        });
    }
    kill(Pid::from_raw(record.state.pid), signal)
        .map_err(Error::sys(format!("kill({}, {signal})", record.state.pid)))
}

/// Ends the restart policy's hold on an active container (`stop`, `kill`, `rm -f`): the record
/// is marked stopped by hand (Docker's `HasBeenManuallyStopped`), and a monitor waiting out a
/// back-off is woken with SIGTERM and waited for (at most `timeout`). Returns the record as
/// it is then: exited, or running if the restart happened just before.
pub fn end_restarts(
    paths: &store::Paths,
    record: &Container,
    timeout: Duration,
) -> Result<Container> {
    if !record.is_active() {
        return Ok(record.clone());
    }
    let record = crate::store::containers::update(paths, &record.id, |c| {
        c.state.manually_stopped = true;
    })?;
    let s = &record.state;
    if s.restarting && alive(s.monitor_pid, s.monitor_start) {
        let _ = kill(Pid::from_raw(s.monitor_pid), Signal::SIGTERM);
        if !wait_for_exit(s.monitor_pid, s.monitor_start, Some(timeout)) {
            let now = crate::store::containers::load(paths, &record.id)?;
            if now.state.restarting {
                // Still waiting (it should not): end it; `refresh` records the exit.
                let _ = kill(Pid::from_raw(s.monitor_pid), Signal::SIGKILL);
                wait_for_exit(s.monitor_pid, s.monitor_start, None);
            }
        }
    }
    crate::engine::reconcile::refresh(paths, crate::store::containers::load(paths, &record.id)?)
}

/// `stop`: the stop signal, then SIGKILL if it is still alive after `timeout`; returns once
/// its monitor has recorded the exit. No restart policy starts it again.
pub fn stop(paths: &store::Paths, record: &Container, timeout: Duration) -> Result<()> {
    let record = &end_restarts(paths, record, timeout)?;
    if !record.state.running && !record.state.paused {
        return Ok(());
    }
    if record.state.paused {
        // A frozen process cannot act on a signal: thaw first.
        unpause(paths, record)?;
    }
    let signal = parse_signal(&record.config.stop_signal).unwrap_or(Signal::SIGTERM);
    let _ = kill(Pid::from_raw(record.state.pid), signal);
    if !wait_for_exit(record.state.pid, record.state.pid_start, Some(timeout)) {
        let _ = kill(Pid::from_raw(record.state.pid), Signal::SIGKILL);
        wait_for_exit(record.state.pid, record.state.pid_start, None);
    }
    wait_for_monitor(paths, record);
    Ok(())
}

/// `wait`: blocks until the container is no longer running; returns its exit code.
pub fn wait(paths: &store::Paths, record: &Container) -> Result<i32> {
    if record.host_config.restart_policy.restarts() && record.is_active() {
        return crate::engine::restart::wait_for_run_end(paths, record);
    }
    wait_for_monitor(paths, record);
    let record = crate::engine::reconcile::refresh(
        paths,
        crate::store::containers::load(paths, &record.id)?,
    )?;
    Ok(record.state.exit_code)
}

/// Waits for the monitor (which records the exit) to be gone; if it died earlier, for the
/// container's process; then lets [`crate::engine::reconcile::refresh`] record what nobody recorded.
pub fn wait_for_monitor(paths: &store::Paths, record: &Container) {
    let s = &record.state;
    if !wait_for_exit(s.monitor_pid, s.monitor_start, None) {
        wait_for_exit(s.pid, s.pid_start, None);
    }
    if let Ok(r) = crate::store::containers::load(paths, &record.id) {
        let _ = crate::engine::reconcile::refresh(paths, r);
    }
}

/// `pause`: freezes every process of the container (cgroup freezer).
pub fn pause(paths: &store::Paths, record: &Container) -> Result<()> {
    if !record.state.running || record.state.paused {
        return Err(Error::WrongState {
            id: record.short_id().into(),
            state: record.state.status.clone(),
            hint: "only a running container can be paused",
        });
    }
    let cg = cgroup::open(record).ok_or_else(|| Error::CgroupGone {
        id: record.short_id().into(),
    })?;
    cg.freeze()?;
    crate::store::containers::update(paths, &record.id, |c| {
        c.state.paused = true;
        c.state.status = "paused".into();
    })?;
    Ok(())
}

/// `unpause`: thaws it again.
pub fn unpause(paths: &store::Paths, record: &Container) -> Result<()> {
    if !record.state.paused {
        return Err(Error::WrongState {
            id: record.short_id().into(),
            state: record.state.status.clone(),
            hint: "it is not paused",
        });
    }
    if let Some(cg) = cgroup::open(record) {
        cg.thaw()?;
    }
    crate::store::containers::update(paths, &record.id, |c| {
        c.state.paused = false;
        if c.state.running {
            c.state.status = "running".into();
        }
    })?;
    Ok(())
}

/// `rm`: removes a stopped container; with `force`, kills a running one first.
pub fn rm(paths: &store::Paths, record: &Container, force: bool) -> Result<()> {
    if record.is_active() {
        if !force {
            return Err(Error::WrongState {
                id: record.short_id().into(),
                state: record.state.status.clone(),
                hint: "cannot remove a running container: stop the container before removing or force remove (-f)",
            });
        }
        let record = &end_restarts(paths, record, Duration::from_secs(10))?;
        if record.state.paused {
            let _ = unpause(paths, record);
        }
        if record.state.pid > 0 {
            let _ = kill(Pid::from_raw(record.state.pid), Signal::SIGKILL);
            wait_for_exit(record.state.pid, record.state.pid_start, None);
        }
        wait_for_monitor(paths, record);
    }
    match crate::store::containers::load(paths, &record.id) {
        Ok(current) => remove::remove(paths, &current),
        Err(Error::NoSuchContainer(_)) => Ok(()), // `--rm`: its monitor removed it already
        Err(e) => Err(e),
    }
}
