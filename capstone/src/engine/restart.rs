//! Restart policies, enforced by the container's own monitor (there is no daemon to do it):
//! when the container exits and its policy wants it again, [`monitor::run`] records it as
//! `restarting`, and [`supervise`] waits out Docker's growing back-off
//! ([`crate::model::restart::Backoff`]) and runs it again, in the same monitor process.
//!
//! The wait is a poll(2) with a timeout on the monitor's signalfd(2): a `stop` (or `kill`)
//! during the back-off marks the record "manually stopped" and sends the monitor SIGTERM,
//! which ends the wait at once. A command that exits at once therefore costs one start per
//! back-off step (100 ms, 200 ms, 400 ms … up to a minute), never a spinning core.
//!
//! Without a daemon, nothing restarts containers after a reboot: an init system calls
//! `capstone start --all-restartable` ([`crate::Engine::start_restartable`]).

use crate::engine::{Engine, lifecycle, monitor};
use crate::model::container::Container;
use crate::model::restart::Backoff;
use crate::{Error, Result, store};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// The detached monitor's life: run the container, and while its policy wants it again, wait
/// out the back-off and run it again. Returns the last exit code. `on_started` is called after
/// each start.
pub fn supervise(
    paths: &store::Paths,
    id: &str,
    mut on_started: impl FnMut(&Container),
) -> Result<i32> {
    let mut backoff = Backoff::default();
    let mut ran_for = Duration::ZERO;
    loop {
        let record = store::containers::load(paths, id)?;
        if record.state.restarting {
            let delay = backoff.next(ran_for);
            if !wait_out(paths, id, delay)? {
                return give_up(paths, id, None);
            }
        }
        let started = Instant::now();
        let code = match monitor::run(paths, id, monitor::Attach::Detached, &mut on_started) {
            Ok(code) => code,
            Err(e) if record.state.restarting => return give_up(paths, id, Some(e)),
            Err(e) => return Err(e),
        };
        ran_for = started.elapsed();
        // Not restarting — or gone: a `--rm` container's record is removed as it exits.
        match store::containers::load(paths, id) {
            Ok(record) if record.state.restarting => {}
            _ => return Ok(code),
        }
    }
}

/// Marks this monitor as the one that restarts it, then waits `delay` on the signalfd: false
/// if a signal (`stop`, `kill`, Ctrl-C) ended the wait or the record says stopped meanwhile.
fn wait_out(paths: &store::Paths, id: &str, delay: Duration) -> Result<bool> {
    let me = std::process::id() as i32;
    let record = store::containers::update(paths, id, |c| {
        c.state.monitor_pid = me;
        c.state.monitor_start = crate::mechanisms::process::start_time(me).unwrap_or(0);
    })?;
    if record.state.manually_stopped {
        return Ok(false);
    }
    let signals = monitor::block_signals()?;
    let deadline = Instant::now() + delay;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(Error::sys("poll(2)")(e)),
        }
        if let Ok(Some(info)) = signals.read_signal() {
            let ends = [
                Signal::SIGTERM,
                Signal::SIGINT,
                Signal::SIGHUP,
                Signal::SIGKILL,
            ];
            if ends.iter().any(|s| *s as u32 == info.ssi_signo) {
                return Ok(false);
            }
        }
    }
    Ok(!store::containers::load(paths, id)?.state.manually_stopped)
}

/// Ends the restarting: the record says `exited` with the last exit code (and why, if a
/// restart failed to start).
fn give_up(paths: &store::Paths, id: &str, error: Option<Error>) -> Result<i32> {
    let record = store::containers::update(paths, id, |c| {
        c.state.mark_exited(c.state.exit_code);
        if let Some(e) = &error {
            c.state.error = e.to_string();
        }
    })?;
    Ok(record.state.exit_code)
}

/// `wait` on a container with a restart policy returns when its current (or, while it is
/// restarting, its next) run ends, as Docker's does — though its monitor may start it again.
/// Woken by inotify(7) whenever the record is replaced (a rename(2) into the container's
/// directory); every second it also looks again, in case the monitor died without writing.
pub fn wait_for_run_end(paths: &store::Paths, record: &Container) -> Result<i32> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let dir = paths.container_dir(&record.id);
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC).map_err(Error::sys("inotify_init1(2)"))?;
    inotify
        .add_watch(
            &dir,
            AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DELETE_SELF,
        )
        .map_err(Error::sys(format!("inotify_add_watch({})", dir.display())))?;
    let before = record.state.finished_at.clone();
    loop {
        let now = match store::containers::load(paths, &record.id) {
            Ok(now) => crate::engine::reconcile::observe(now),
            Err(Error::NoSuchContainer(_)) => return Ok(record.state.exit_code),
            Err(e) => return Err(e),
        };
        let ended = now.state.finished_at != before && !now.state.running;
        if ended || !now.is_active() {
            return Ok(now.state.exit_code);
        }
        let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(1000u16)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => {}
            Ok(_) => drop(inotify.read_events()),
            Err(e) => return Err(Error::sys("poll(2)")(e)),
        }
    }
}

impl Engine {
    /// `start --all-restartable`: what dockerd does when it starts, for an init system to call
    /// after a reboot — starts every container that is not running and whose policy says so
    /// (`always`; `unless-stopped` unless stopped by hand; `on-failure` after a failure).
    /// Returns the ids it started.
    pub fn start_restartable(&self) -> Result<Vec<String>> {
        self.reconcile()?;
        let mut started = Vec::new();
        for record in store::containers::list(&self.paths)? {
            let s = &record.state;
            let policy = &record.host_config.restart_policy;
            let ever_ran = s.status == "exited";
            if record.is_active()
                || !ever_ran
                || !policy.restarts_at_boot(s.exit_code, s.manually_stopped, s.restart_count)
            {
                continue;
            }
            lifecycle::start_detached(&self.paths, &record)?;
            started.push(record.id);
        }
        Ok(started)
    }
}
