//! The monitor: the one process that is a container's parent from start to exit, like podman's
//! `conmon`. It makes the cgroup, creates the container's first process (see [`runtime`]),
//! records it as running, then pumps its output into the log (and, in the foreground, to the
//! terminal), forwards signals, waits for it with waitpid(2), removes the cgroup, records the
//! exit code and, for `--rm`, removes the container.
//!
//! For `run -d` and `start` the monitor is a separate, detached process (the CLI re-executes
//! itself as `capstone __monitor ID` in a new session, setsid(2)), so the CLI can exit and the
//! container lives on. In the foreground the CLI itself is the monitor.
//!
//! One thread, one poll(2) loop over: a signalfd(2) (SIGCHLD and the signals to forward), the
//! container's stdout and stderr pipes (or its pty master), and with `-it` our own stdin.
//!
//! [`runtime`]: crate::mechanisms::runtime

use crate::mechanisms::logs::{LogWriter, Stream};
use crate::mechanisms::runtime::{self, Stdio};
use crate::mechanisms::{cgroup, pty, security};
use crate::model::clock;
use crate::model::container::Container;
use crate::{Error, Result, store};
use namespaces::console::{self, Console, ConsoleSocket};
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// Signals a foreground monitor passes on to the container (Docker's `--sig-proxy`).
const FORWARDED: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// Who the monitor serves: nobody (a detached monitor, output only to the log), or the user's
/// terminal in the foreground — output, and with `stdin` also our stdin (`run -i`,
/// `start -ai`; only for a container created with `-i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// `run -d`, `start`: output goes to the log only.
    Detached,
    /// `run`, `start -a`: output to the log and to our stdout/stderr; stdin if `stdin`.
    Foreground {
        /// Forward our stdin to the container.
        stdin: bool,
    },
}

/// Runs container `id` to its end and returns its exit code. `on_started` is called once the
/// command has been released (a detached monitor tells the waiting CLI "ok" there).
// ANCHOR: monitor_run
pub fn run(
    paths: &store::Paths,
    id: &str,
    attach: Attach,
    on_started: impl FnOnce(&Container),
) -> Result<i32> {
    let foreground = matches!(attach, Attach::Foreground { .. });
    let record = crate::store::containers::load(paths, id)?;
    let me = std::process::id() as i32;
    // A restarting container belongs to the monitor that waits out its back-off.
    let restarted_by_other = record.state.restarting && record.state.monitor_pid != me;
    if record.state.running || record.state.paused || restarted_by_other {
        return Err(Error::WrongState {
            id: record.short_id().into(),
            state: record.state.status.clone(),
            hint: "it is already running",
        });
    }
    // Compiled before clone(2): the child only makes system calls (lesson 07).
    let confinement = security::confinement_for(
        &record.host_config,
        &paths.container_dir(id),
        &security::filter_cache(paths),
        record.config.uid,
        record.config.gid,
    )?;
    let mut io = Io::prepare(&record, attach)?;
    let signals = block_signals()?;
    // Before the clone: the container's process binds these in while it makes its root.
    crate::mechanisms::network::files::write_initial(&record)?;
    let cgroup = cgroup::create(&record)?;
    let created = match runtime::create(&record, io.child_stdio(), &confinement) {
        Ok(c) => c,
        Err(e) => {
            let _ = cgroup.remove();
            return Err(e);
        }
    };
    let pid = created.pid().as_raw();
    // While it makes its root filesystem (lesson 01's `set_up_before_release`) and then waits
    // at the gate, two things at once: into the cgroup (before the gate opens, so nothing the
    // container runs escapes its limits) and into its networks (lesson 06). On cgroup v1 the
    // move waits out an RCU grace period (~10 ms of sleeping in the kernel), and networking
    // is netlink round trips: a thread lets the two overlap, and the container's set-up
    // overlaps both.
    let (joined, connected) = std::thread::scope(|scope| {
        let joining = scope.spawn(|| cgroup.add_process(pid));
        let connected = crate::mechanisms::network::attach::connect_all(paths, &record, pid);
        let joined = joining.join().expect("the cgroup thread does not panic");
        (joined, connected)
    });
    let set_up = match (joined, connected) {
        (Ok(()), connected) => connected,
        (Err(e), connected) => {
            if connected.is_ok() {
                let _ = crate::mechanisms::network::attach::disconnect_all(paths, &record);
            }
            Err(e.into())
        }
    };
    // Either failed: kill it before it ran anything, and undo the cgroup.
    let network_settings = match set_up {
        Ok(settings) => settings,
        // Its own set-up failed first (so its network namespace was gone): it said why on its
        // stderr. Run on, so that reaches the log and its exit code is recorded, as for a
        // failure after the release.
        Err(_) if crate::mechanisms::process::has_exited(pid) => record.network_settings.clone(),
        Err(e) => {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            let _ = waitpid(Pid::from_raw(pid), None);
            let _ = cgroup.remove();
            return Err(e);
        }
    };
    let record = crate::store::containers::update(paths, id, |c| {
        c.network_settings = network_settings;
        c.state.status = "running".into();
        c.state.running = true;
        c.state.paused = false;
        c.state.pid = pid;
        c.state.pid_start = crate::mechanisms::process::start_time(pid).unwrap_or(0);
        c.state.monitor_pid = me;
        c.state.monitor_start = crate::mechanisms::process::start_time(me).unwrap_or(0);
        c.state.exit_code = 0;
        c.state.oom_killed = false;
        c.state.error.clear();
        c.state.restarting = false;
        let check = c.config.healthcheck.as_ref().and_then(|h| h.argv());
        c.state.health = check.map(|_| crate::model::health::Health::starting());
        c.state.started_at = clock::now();
        c.state.finished_at = clock::ZERO_TIME.into();
    })?;
    created.start()?;
    crate::engine::events::container(paths, &record, "start", &[]);
    crate::engine::events::networks(paths, &record, "connect");
    io.close_child_side();
    io.receive_console()?;
    on_started(&record);
    // Raw mode only when our keys go to the container: then Ctrl-C is a byte for its pty.
    let raw = (io.tty && io.forward_stdin)
        .then(|| pty::RawMode::enter(std::io::stdin().as_fd()))
        .flatten();
    let flags = &record.host_config.run_flags; // `--log-opt max-size=… max-file=…`
    let log_path = paths.log(id);
    let mut log =
        LogWriter::open(&log_path)?.rotating(&log_path, flags.log_max_size, flags.log_max_file);
    let health = crate::engine::health::watch(paths, &record);
    let code = pump(&mut io, &signals, pid, foreground, &mut log);
    if let Some(watcher) = health {
        watcher.stop();
    }
    drop(raw);
    log.flush();
    finish(paths, &record, code, cgroup.as_ref())
}
// ANCHOR_END: monitor_run

/// After the exit: the cgroup goes (with anything left inside), the record says `exited` —
/// or `restarting`, if its restart policy wants it again (decided in the same locked update
/// that records the exit, so a `stop` sees one or the other) — and a `--rm` container goes
/// entirely. The workload has run, so its exit code stands
/// whatever happens here: a step that fails is reported on stderr and kept in the record's
/// `State.Error`, but never turns the code into the engine's 125.
fn finish(
    paths: &store::Paths,
    record: &Container,
    code: i32,
    cgroup: &dyn cgroups::Cgroup,
) -> Result<i32> {
    let before = record;
    // Docker's OOMKilled: memory.events (v2) or memory.oom_control (v1) counted a kill.
    // Read it before the cgroup goes.
    let oom_killed = (cgroup.oom_kills().ok().flatten()).is_some_and(|kills| kills > 0);
    let mut errors = Vec::new();
    errors.extend(cgroup.remove().err().map(Error::from));
    // Its last process is gone, and with it the network namespace: the kernel deletes the
    // veth pairs; we give back the addresses and ports.
    errors.extend(crate::mechanisms::network::attach::disconnect_after_exit(paths, record).err());
    let record = crate::store::containers::update(paths, &record.id, |c| {
        let again = c.host_config.restart_policy.should_restart(
            code,
            c.state.manually_stopped,
            c.state.restart_count,
        );
        let monitor = (c.state.monitor_pid, c.state.monitor_start);
        c.state.mark_exited(code);
        c.state.oom_killed = oom_killed;
        c.network_settings.clear_endpoints();
        if again {
            // This monitor stays to start it again after the back-off (`engine::restart`).
            c.state.status = "restarting".into();
            c.state.restarting = true;
            c.state.restart_count += 1;
            (c.state.monitor_pid, c.state.monitor_start) = monitor;
        }
    })?;
    let code_text = code.to_string();
    crate::engine::events::container(paths, &record, "die", &[("exitCode", &code_text)]);
    crate::engine::events::networks(paths, before, "disconnect");
    if record.host_config.auto_remove && !record.state.restarting {
        errors.extend(crate::engine::remove::remove(paths, &record).err());
    }
    if !errors.is_empty() {
        let error = Error::Teardown(errors);
        eprintln!(
            "capstone: after container {} exited: {error}",
            record.short_id()
        );
        let _ = crate::store::containers::update(paths, &record.id, |c| {
            c.state.error = error.to_string();
        });
    }
    Ok(code)
}

/// Blocks SIGCHLD and the forwarded signals and returns a signalfd(2) that reads them. The
/// container's process unblocks them again before it execs (see `runtime`).
pub(crate) fn block_signals() -> Result<SignalFd> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGCHLD);
    set.add(Signal::SIGWINCH);
    for s in FORWARDED {
        set.add(s);
    }
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(Error::sys("sigprocmask(2)"))?;
    SignalFd::with_flags(&set, nix::sys::signalfd::SfdFlags::SFD_CLOEXEC)
        .map_err(Error::sys("signalfd(2)"))
}

/// The container's stdio: our ends and its ends.
struct Io {
    tty: bool,
    forward_stdin: bool,
    console: Option<(ConsoleSocket, console::Size)>,
    master: Option<OwnedFd>,
    out: Option<OwnedFd>,
    err: Option<OwnedFd>,
    child_ends: Vec<OwnedFd>,
    child_fds: [i32; 3],
}

impl Io {
    /// For `-t`, a console socket to receive the pty the container makes ([`console`]), and
    /// a pipe for what goes wrong before that; otherwise two pipes (pipe2(2)) for stdout and
    /// stderr, and stdin either our own (`-i` in the foreground) or `/dev/null`.
    fn prepare(record: &Container, attach: Attach) -> Result<Io> {
        let stdin = std::io::stdin();
        let attach_stdin = attach == Attach::Foreground { stdin: true } && record.config.open_stdin;
        if record.config.tty {
            let socket = ConsoleSocket::new()?;
            let size = match attach {
                Attach::Foreground { .. } => console::Size::of_or_default(stdin.as_fd()),
                Attach::Detached => console::Size::DEFAULT,
            };
            let (err_r, err_w) =
                nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
            let null: OwnedFd = std::fs::File::open("/dev/null")
                .map_err(Error::io("open", "/dev/null"))?
                .into();
            let child_fds = [null.as_raw_fd(), err_w.as_raw_fd(), err_w.as_raw_fd()];
            return Ok(Io {
                tty: true,
                forward_stdin: attach_stdin,
                console: Some((socket, size)),
                master: None,
                out: None,
                err: Some(err_r),
                child_ends: vec![null, err_w],
                child_fds,
            });
        }
        let (out_r, out_w) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
        let (err_r, err_w) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
        // Detached, a `-i` container reads the monitor's own stdin: /dev/null, unless whoever
        // started the monitor gave it a pipe (the Engine API daemon does, for `docker run -i`).
        let detached_stdin = attach == Attach::Detached && record.config.open_stdin;
        let stdin_fd: OwnedFd = if attach_stdin || detached_stdin {
            stdin
                .as_fd()
                .try_clone_to_owned()
                .map_err(Error::io("dup", "stdin"))?
        } else {
            std::fs::File::open("/dev/null")
                .map_err(Error::io("open", "/dev/null"))?
                .into()
        };
        let child_fds = [stdin_fd.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()];
        Ok(Io {
            tty: false,
            forward_stdin: false,
            console: None,
            master: None,
            out: Some(out_r),
            err: Some(err_r),
            child_ends: vec![stdin_fd, out_w, err_w],
            child_fds,
        })
    }

    fn child_stdio(&self) -> Stdio {
        Stdio {
            fds: self.child_fds,
            console: self.console.as_ref().map(|(socket, size)| Console {
                socket: socket.container_end(),
                size: *size,
            }),
        }
    }

    /// Our copies of the container's ends must go, or we would never see end-of-file.
    fn close_child_side(&mut self) {
        self.child_ends.clear();
        if let Some((socket, _)) = &mut self.console {
            socket.close_container_end();
        }
    }

    /// With `-t`: takes the pty master the container sent (it did so before its execve(2), so
    /// it is waiting in the socket). None came if its set-up failed; the error pipe says why.
    fn receive_console(&mut self) -> Result<()> {
        if let Some((socket, _)) = self.console.take() {
            self.master = socket.receive_master()?;
        }
        Ok(())
    }

    fn open(&self) -> bool {
        self.master.is_some() || self.out.is_some() || self.err.is_some()
    }
}

/// What a polled descriptor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Signals,
    Out,
    Err,
    Stdin,
}

/// The poll(2) loop: until the container has exited *and* its output is drained.
fn pump(io: &mut Io, signals: &SignalFd, pid: i32, foreground: bool, log: &mut LogWriter) -> i32 {
    let mut exit: Option<i32> = None;
    let stdin = std::io::stdin();
    let mut stdin_open = io.forward_stdin;
    let mut buf = vec![0u8; 64 * 1024];
    while exit.is_none() || io.open() {
        let mut slots = vec![Slot::Signals];
        let mut fds = vec![PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
        if let Some(fd) = io.master.as_ref().or(io.out.as_ref()) {
            slots.push(Slot::Out);
            fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLIN));
        }
        if let Some(fd) = &io.err {
            slots.push(Slot::Err);
            fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLIN));
        }
        if stdin_open {
            slots.push(Slot::Stdin);
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        }
        let ready: Vec<Slot> = slots
            .into_iter()
            .zip(&fds)
            .filter(|(_, f)| f.revents().is_some_and(|r| !r.is_empty()))
            .map(|(slot, _)| slot)
            .collect();
        drop(fds);
        if ready.contains(&Slot::Signals)
            && let Ok(Some(info)) = signals.read_signal()
        {
            match Signal::try_from(info.ssi_signo as i32) {
                Ok(Signal::SIGCHLD) => {
                    if let Ok(status) = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
                        exit = exit.or(namespaces::process::exit_code(status));
                    }
                }
                Ok(Signal::SIGWINCH) => {
                    if let Some(master) = &io.master {
                        pty::copy_window_size(stdin.as_fd(), master.as_fd());
                    }
                }
                Ok(other) if exit.is_none() => {
                    let _ = kill(Pid::from_raw(pid), other);
                }
                _ => {}
            }
        }
        if ready.contains(&Slot::Out) {
            let tty = io.master.is_some();
            let slot = if tty { &mut io.master } else { &mut io.out };
            copy_out(slot, &mut buf, Stream::Stdout, foreground, log);
            if tty {
                // A terminal's output goes into the log as it comes, unfinished lines too (a
                // shell's prompt has no newline), so a client attached through the log sees it.
                log.flush();
            }
        }
        if ready.contains(&Slot::Err) {
            copy_out(&mut io.err, &mut buf, Stream::Stderr, foreground, log);
        }
        if ready.contains(&Slot::Stdin) {
            match nix::unistd::read(stdin.as_fd(), &mut buf) {
                Ok(n) if n > 0 => {
                    if let Some(master) = &io.master {
                        let _ = write_all(master, &buf[..n]);
                    }
                }
                _ => stdin_open = false,
            }
        }
    }
    exit.unwrap_or(255)
}

/// Reads what is there from one output fd into the log (and our own stdout/stderr in the
/// foreground); closes the slot at end-of-file (or EIO, what a pty master reads once the
/// last slave is closed).
fn copy_out(
    slot: &mut Option<OwnedFd>,
    buf: &mut [u8],
    stream: Stream,
    echo: bool,
    log: &mut LogWriter,
) {
    let Some(fd) = slot else { return };
    match nix::unistd::read(fd.as_fd(), buf) {
        Ok(n) if n > 0 => {
            log.write(stream, &buf[..n]);
            if echo {
                if stream == Stream::Stdout {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(&buf[..n]).and_then(|()| out.flush());
                } else {
                    let _ = std::io::stderr().write_all(&buf[..n]);
                }
            }
        }
        Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
        _ => *slot = None,
    }
}

fn write_all(fd: &OwnedFd, mut bytes: &[u8]) -> nix::Result<()> {
    while !bytes.is_empty() {
        let n = nix::unistd::write(fd, bytes)?;
        bytes = &bytes[n..];
    }
    Ok(())
}
