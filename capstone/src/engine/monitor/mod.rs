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
//! - `stdio.rs`: the container's stdio, pipes or a pty;
//! - `pump.rs`: the poll(2) loop.
//!
//! [`runtime`]: crate::mechanisms::runtime

mod pump;
mod stdio;

use pump::pump;
use stdio::Io;

use crate::mechanisms::logs::LogWriter;
use crate::mechanisms::oci::signals::PROXIED;
use crate::mechanisms::runtime;
use crate::mechanisms::{cgroup, pty, security};
use crate::model::clock;
use crate::model::container::Container;
use crate::{Error, Result, store};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use std::os::fd::AsFd;
use std::time::Duration;

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
        // failure after the release. (It may still be on its way out: wait a little.)
        Err(_) if crate::mechanisms::process::exits_within(pid, Duration::from_secs(1)) => {
            record.network_settings.clone()
        }
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
    for s in PROXIED {
        set.add(s);
    }
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(Error::sys("sigprocmask(2)"))?;
    SignalFd::with_flags(&set, nix::sys::signalfd::SfdFlags::SFD_CLOEXEC)
        .map_err(Error::sys("signalfd(2)"))
}
