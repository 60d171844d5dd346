//! Waiting with Docker's conditions (`POST /containers/{id}/wait?condition=…`), for a
//! long-lived front end (the Engine API daemon). Such a front end starts containers with
//! [`Engine::start_watched`]: it keeps each monitor it started and waits for it (waitpid(2)
//! on a thread), and the monitor's exit status is the container's exit code. So it learns
//! the code of every exit it caused — even of a `--rm` container, whose record the monitor
//! removed on its way out — and a waiter that asked *before* the start (as `docker run`
//! does: attach, wait, then start) is woken by exactly that exit.
//!
//! A container some other process started (the CLI, an earlier daemon) is waited for as the
//! CLI's `wait` does: a pidfd(2) on its monitor ([`crate::engine::lifecycle::wait`]).

use super::Engine;
use crate::Result;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

/// Docker's wait conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitCondition {
    /// `not-running` (the default): at once if it is not running, else when it stops.
    NotRunning,
    /// `next-exit`: the next time it stops (after a start to come, if it is not running).
    NextExit,
    /// `removed`: its next exit, once it is gone too (`docker run --rm`: its monitor removes
    /// it on the way out; any other container: when `docker rm` removes it).
    Removed,
}

impl WaitCondition {
    /// From the query parameter (empty: `not-running`).
    pub fn parse(text: &str) -> Option<WaitCondition> {
        match text {
            "" | "not-running" => Some(WaitCondition::NotRunning),
            "next-exit" => Some(WaitCondition::NextExit),
            "removed" => Some(WaitCondition::Removed),
            _ => None,
        }
    }
}

#[derive(Debug, Default)]
struct Seen {
    /// How many monitors of this container we started that have exited.
    exits: u64,
    /// The last exit code.
    code: i32,
    /// One of our monitors is running it now.
    ours: bool,
}

/// The exits of the containers this process started, by id.
#[derive(Debug, Default)]
pub struct Exits {
    seen: Mutex<HashMap<String, Seen>>,
    changed: Condvar,
}

impl Exits {
    /// How many of our monitors of container `id` have exited so far: give it to
    /// [`Exits::wait_started`] to wait for the next start.
    pub fn exits_of(&self, id: &str) -> u64 {
        self.seen.lock().unwrap().get(id).map_or(0, |s| s.exits)
    }

    /// Blocks until one of our monitors runs container `id` — its start has returned, so the
    /// monitor holds the container's pty — or until it has exited again since `exits_before`.
    pub fn wait_started(&self, id: &str, exits_before: u64) {
        let seen = self.seen.lock().unwrap();
        drop(self.changed.wait_while(seen, |all| {
            all.get(id)
                .is_none_or(|s| !s.ours && s.exits <= exits_before)
        }));
    }

    fn note(&self, id: &str, change: impl FnOnce(&mut Seen)) {
        change(self.seen.lock().unwrap().entry(id.to_string()).or_default());
        self.changed.notify_all();
    }
}

/// A wait that has been asked for: where the container's life stood then. Made at once,
/// so that the reply's headers can go out before the waiting starts.
#[derive(Debug)]
pub struct Waiter {
    id: String,
    condition: WaitCondition,
    exits_before: u64,
    ours: bool,
    active: bool,
    exited: bool,
    code: i32,
}

impl Engine {
    // ANCHOR: start_watched
    /// Starts a container under a monitor this process keeps and reaps, noting its exit in
    /// `exits`. A start that fails counts as an exit (code 125), so a waiter never waits for
    /// a run that did not happen.
    pub fn start_watched(&self, query: &str, exits: &Arc<Exits>) -> Result<()> {
        self.start_watched_with_stdin(query, exits, None)
    }

    /// [`Engine::start_watched`], a `-i` container without a tty reading `stdin` (see
    /// [`crate::engine::lifecycle::start_monitored_with_stdin`]).
    pub fn start_watched_with_stdin(
        &self,
        query: &str,
        exits: &Arc<Exits>,
        stdin: Option<std::os::fd::OwnedFd>,
    ) -> Result<()> {
        let record = self.reconciled(query)?;
        let id = record.id.clone();
        let started = super::lifecycle::start_monitored_with_stdin(&self.paths, &record, stdin);
        let child = match started {
            Ok(child) => child,
            Err(e) => {
                exits.note(&id, |s| (s.exits, s.code) = (s.exits + 1, 125));
                return Err(e);
            }
        };
        let Some(mut child) = child else {
            return Ok(()); // it was running already
        };
        exits.note(&id, |s| s.ours = true);
        let exits = Arc::clone(exits);
        std::thread::spawn(move || {
            // A monitor killed by a signal recorded nothing: Docker's "unknown" 255.
            let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(255);
            exits.note(&id, |s| {
                (s.exits, s.code, s.ours) = (s.exits + 1, code, false);
            });
        });
        Ok(())
    }
    // ANCHOR_END: start_watched

    /// The first half of `wait`: finds the container and notes where it stands.
    pub fn wait_for(&self, query: &str, condition: WaitCondition, exits: &Exits) -> Result<Waiter> {
        let record = self.container(query)?;
        let seen = exits.seen.lock().unwrap();
        let ours = seen.get(&record.id);
        Ok(Waiter {
            exits_before: ours.map_or(0, |s| s.exits),
            ours: ours.is_some_and(|s| s.ours),
            active: record.is_active(),
            exited: record.state.status == "exited",
            code: record.state.exit_code,
            id: record.id,
            condition,
        })
    }
}

impl Waiter {
    /// The second half: blocks until the condition is met; returns the exit code.
    pub fn wait(self, engine: &Engine, exits: &Exits) -> Result<i32> {
        if self.condition == WaitCondition::NotRunning && !self.active {
            return Ok(self.code);
        }
        let code = if self.condition == WaitCondition::Removed && self.exited && !self.ours {
            // It ran and exited: only its removal is awaited. (`docker run --rm` asks before
            // the start, while the container is `created`: then its next exit comes first.)
            self.code
        } else if self.active && !self.ours {
            engine.wait(&self.id)?
        } else {
            let seen = exits.seen.lock().unwrap();
            let seen = exits
                .changed
                .wait_while(seen, |all| {
                    all.get(&self.id).map_or(0, |s| s.exits) <= self.exits_before
                })
                .unwrap();
            seen.get(&self.id).map_or(0, |s| s.code)
        };
        if self.condition == WaitCondition::Removed {
            wait_until_removed(engine, &self.id)?;
        }
        Ok(code)
    }
}

/// Blocks until the container's directory is gone (a `--rm` container's already is; another
/// goes with `docker rm`), woken by inotify(7) on the directory of all containers.
fn wait_until_removed(engine: &Engine, id: &str) -> Result<()> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let all = engine.paths().containers();
    let inotify =
        Inotify::init(InitFlags::IN_CLOEXEC).map_err(crate::Error::sys("inotify_init1(2)"))?;
    inotify
        .add_watch(
            &all,
            AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_FROM,
        )
        .map_err(crate::Error::sys(format!(
            "inotify_add_watch({})",
            all.display()
        )))?;
    // Looked at after the watch is set, so a removal in between is not missed.
    while engine.paths().container_dir(id).exists() {
        match inotify.read_events() {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(crate::Error::sys("read(inotify)")(e)),
        }
    }
    Ok(())
}
