//! The container operations of the [`Engine`], and the decisions between the steps: pull an
//! image that is missing, undo a container whose start failed, wait until a kill is recorded,
//! notice containers that died unrecorded. Every front end (the CLI today) calls these, so
//! each decision is made in one place.

use super::create::CreateOptions;
use super::exec::ExecOptions;
use super::{Engine, events, lifecycle, monitor, reconcile, remove};
use crate::model::container::Container;
use crate::store::{containers, image_refs};
use crate::{Error, Result};
use nix::sys::signal::Signal;
use std::time::Duration;

/// How a container started in the foreground is attached to this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Foreground {
    /// Forward our stdin (only for a container created with `-i`).
    pub stdin: bool,
}

impl Engine {
    /// Every container, oldest first, as it should be shown: one whose processes died
    /// unrecorded reads as exited (255). Writes nothing, so `ps` has no side effects.
    pub fn containers(&self) -> Result<Vec<Container>> {
        reconcile::list_observed(&self.paths)
    }

    /// One container by full id, name or unique id prefix (as Docker looks), as it should be
    /// shown. Writes nothing.
    pub fn container(&self, query: &str) -> Result<Container> {
        reconcile::find_observed(&self.paths, query)
    }

    /// One container, with an unrecorded death recorded and its network given back first:
    /// what an operation that acts on it starts from.
    pub(crate) fn reconciled(&self, query: &str) -> Result<Container> {
        reconcile::refresh(&self.paths, containers::find(&self.paths, query)?)
    }

    /// Records every unrecorded death and gives back what dead monitors held; returns the ids
    /// it reconciled. Docker's daemon does this when it starts; without a daemon, the engine
    /// does it before it hands out addresses, and on request (`capstone system reconcile`).
    pub fn reconcile(&self) -> Result<Vec<String>> {
        let mut done = Vec::new();
        for record in containers::list(&self.paths)? {
            if reconcile::died_unrecorded(&record) {
                // A record removed meanwhile (a `run --rm` finishing as we look) has nothing
                // left to reconcile; its disappearance is not this caller's "no such
                // container" (which the Engine API would answer with 404).
                match reconcile::refresh(&self.paths, record.clone()) {
                    Ok(_) => done.push(record.id),
                    Err(Error::NoSuchContainer(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(done)
    }

    /// `create`; an image that is not in the store is pulled first (as `docker run` does),
    /// with Docker's lines given to `say`.
    pub fn create(&self, opts: &CreateOptions, say: &mut dyn FnMut(String)) -> Result<Container> {
        // Addresses and ports held by monitors that died go back before new ones are given.
        self.reconcile()?;
        // Until the record names its image, a collection (`rmi`) must not free its layers.
        let _using_images = super::gc::lock_for_writing(&self.paths)?;
        let created = match super::create::create(&self.paths, opts) {
            Err(Error::NoSuchImage(_)) => {
                let full = image_refs::normalize(&opts.image)?;
                say(format!(
                    "Unable to find image '{}' locally",
                    image_refs::familiar(&full)
                ));
                super::images::pull(&self.paths, &opts.image, say)?;
                super::create::create(&self.paths, opts)
            }
            other => other,
        }?;
        events::container(&self.paths, &created, "create", &[]);
        Ok(created)
    }

    /// `create` without pulling: a missing image is [`Error::NoSuchImage`] (the Engine API
    /// answers 404, and the client pulls with its own progress display, then asks again).
    pub fn create_local(&self, opts: &CreateOptions) -> Result<Container> {
        self.reconcile()?;
        let _using_images = super::gc::lock_for_writing(&self.paths)?;
        let created = super::create::create(&self.paths, opts)?;
        events::container(&self.paths, &created, "create", &[]);
        Ok(created)
    }

    /// Starts a container in the background, under a detached monitor.
    pub fn start(&self, query: &str) -> Result<Container> {
        let record = self.reconciled(query)?;
        lifecycle::started_by_hand(&self.paths, &record)?;
        lifecycle::start_detached(&self.paths, &record)?;
        Ok(record)
    }

    /// Starts a container in the background and hands back its monitor, whose exit status is
    /// the container's exit code (`None`: it was running already); see
    /// [`lifecycle::start_monitored`].
    pub fn start_monitored(&self, query: &str) -> Result<Option<std::process::Child>> {
        let record = self.reconciled(query)?;
        lifecycle::start_monitored(&self.paths, &record)
    }

    /// Runs a container with this process as its monitor, to its end; returns its exit code.
    /// If it cannot start, the reason is recorded and a `--rm` container is removed again.
    pub fn run_attached(&self, query: &str, how: Foreground) -> Result<i32> {
        let record = self.reconciled(query)?;
        lifecycle::started_by_hand(&self.paths, &record)?;
        let attach = monitor::Attach::Foreground { stdin: how.stdin };
        let result = monitor::run(&self.paths, &record.id, attach, |_| {});
        if let Err(e) = &result {
            self.forget_failed_start(&record.id, e);
        }
        // Its restart policy wants it again: a detached monitor takes over, as the CLI ends.
        // (A failure to start again is recorded in `State.Error` by that monitor.)
        if let Ok(after) = containers::load(&self.paths, &record.id)
            && after.state.restarting
        {
            let _ = lifecycle::spawn_monitor(&self.paths, &after);
        }
        result
    }

    /// After a failed start: say why in the record; a `--rm` container goes.
    pub(crate) fn forget_failed_start(&self, id: &str, error: &Error) {
        let _ = containers::update(&self.paths, id, |c| c.state.error = error.to_string());
        if let Ok(record) = containers::load(&self.paths, id)
            && record.host_config.auto_remove
        {
            let _ = remove::remove(&self.paths, &record);
        }
    }

    /// `stop`: the stop signal, then SIGKILL after `timeout`; returns once the exit is recorded.
    pub fn stop(&self, query: &str, timeout: Duration) -> Result<()> {
        self.stop_or_default(query, Some(timeout))
    }

    /// [`Engine::stop`] with `stop`'s `-t` optional: without it, the container's
    /// `--stop-timeout`, else Docker's 10 s.
    pub fn stop_or_default(&self, query: &str, timeout: Option<Duration>) -> Result<()> {
        let record = self.reconciled(query)?;
        lifecycle::stop(&self.paths, &record, stop_timeout(&record, timeout))?;
        if record.is_active() {
            events::container(&self.paths, &record, "stop", &[]);
        }
        Ok(())
    }

    /// `restart`: stop, then start in the background.
    pub fn restart(&self, query: &str, timeout: Duration) -> Result<()> {
        self.restart_or_default(query, Some(timeout))
    }

    /// [`Engine::restart`] with the stop timeout chosen as [`Engine::stop_or_default`] does.
    pub fn restart_or_default(&self, query: &str, timeout: Option<Duration>) -> Result<()> {
        let record = self.reconciled(query)?;
        lifecycle::stop(&self.paths, &record, stop_timeout(&record, timeout))?;
        let record = containers::load(&self.paths, &record.id)?;
        lifecycle::started_by_hand(&self.paths, &record)?;
        lifecycle::start_detached(&self.paths, &record)?;
        events::container(&self.paths, &record, "restart", &[]);
        Ok(())
    }

    /// `kill`: sends `signal`. For SIGKILL it returns only once the exit is recorded, as
    /// Docker's does, so `kill x && inspect x` always shows `ExitCode` 137. SIGKILL and the
    /// stop signal end the restart policy's hold, as in Docker; a restarting container then
    /// just stays exited.
    pub fn kill(&self, query: &str, signal: Signal) -> Result<()> {
        let mut record = self.reconciled(query)?;
        let stop_signal = lifecycle::parse_signal(&record.config.stop_signal).ok();
        if signal == Signal::SIGKILL || Some(signal) == stop_signal {
            let was_restarting = record.state.restarting;
            record = lifecycle::end_restarts(&self.paths, &record, Duration::from_secs(10))?;
            if was_restarting && !record.state.running {
                return Ok(());
            }
        }
        lifecycle::kill_container(&record, signal)?;
        let number = (signal as i32).to_string();
        events::container(&self.paths, &record, "kill", &[("signal", &number)]);
        if signal == Signal::SIGKILL {
            lifecycle::wait_for_monitor(&self.paths, &record);
        }
        Ok(())
    }

    /// `pause`: freezes every process of the container (cgroup freezer).
    pub fn pause(&self, query: &str) -> Result<()> {
        let record = self.reconciled(query)?;
        lifecycle::pause(&self.paths, &record)?;
        events::container(&self.paths, &record, "pause", &[]);
        Ok(())
    }

    /// `unpause`: thaws it.
    pub fn unpause(&self, query: &str) -> Result<()> {
        let record = self.reconciled(query)?;
        lifecycle::unpause(&self.paths, &record)?;
        events::container(&self.paths, &record, "unpause", &[]);
        Ok(())
    }

    /// `wait`: blocks until the container is not running; returns its exit code.
    pub fn wait(&self, query: &str) -> Result<i32> {
        lifecycle::wait(&self.paths, &self.reconciled(query)?)
    }

    /// `rm`: removes a stopped container (`force`: kills a running one first); `volumes`
    /// removes its anonymous volumes too (`rm -v`).
    pub fn remove(&self, query: &str, force: bool, volumes: bool) -> Result<()> {
        let record = self.reconciled(query)?;
        lifecycle::rm(&self.paths, &record, force)?;
        if volumes {
            crate::store::volumes::remove_anonymous(&self.paths, &record)?;
        }
        Ok(())
    }

    /// `exec`: runs another process in a running container; returns its exit code.
    pub fn exec(&self, query: &str, opts: &ExecOptions) -> Result<i32> {
        super::exec::exec(&self.paths, &self.reconciled(query)?, opts)
    }

    /// `exec` with the process's stdio given (see [`super::exec::exec_piped`]).
    pub fn exec_piped(
        &self,
        query: &str,
        opts: &ExecOptions,
        stdio: [std::os::fd::OwnedFd; 3],
    ) -> Result<i32> {
        super::exec::exec_piped(&self.paths, &self.reconciled(query)?, opts, stdio)
    }

    /// `exec` on a pty of its own whose master goes to `serve` (see [`super::exec::exec_on_pty`]).
    pub fn exec_on_pty(
        &self,
        query: &str,
        opts: &ExecOptions,
        serve: &mut dyn FnMut(std::os::fd::OwnedFd),
    ) -> Result<i32> {
        super::exec::exec_on_pty(&self.paths, &self.reconciled(query)?, opts, serve)
    }

    /// `pull`: an image from its registry into the store.
    pub fn pull(&self, typed: &str, say: &mut dyn FnMut(String)) -> Result<()> {
        super::images::pull(&self.paths, typed, say)
    }
}

/// How long `stop` waits: as told, else the container's `--stop-timeout`, else Docker's 10 s.
fn stop_timeout(record: &Container, told: Option<Duration>) -> Duration {
    told.unwrap_or_else(|| Duration::from_secs(record.config.stop_timeout.unwrap_or(10)))
}
