//! `attach --no-stdin`: a running container's output, live, until it stops; then its exit
//! code. Without a daemon there is no process to attach *to* but the container's monitor,
//! which writes everything the container prints to the json log as it comes: attaching is
//! following that log from its end (inotify(7), as `logs -f` does). Our signals go to the
//! container (kill(2)) while `--sig-proxy` is on, as Docker's CLI forwards them; with it off,
//! Ctrl-C (SIGINT) detaches and leaves the container running.
//!
//! Attaching *stdin* needs the monitor to hand out the container's stdin or pty master (a
//! socket of its own, as conmon has); it does not yet, so a container created with `-i` is
//! attached only with `--no-stdin`.

use super::logs::{Interrupt, follow_log};
use super::{Engine, lifecycle};
use crate::mechanisms::logs::Entry;
use crate::{Error, Result};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::AsFd;

/// The signals Docker's CLI forwards with `--sig-proxy` (and SIGINT, which detaches without).
const PROXIED: [Signal; 5] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// How `attach` attaches.
#[derive(Debug, Clone, Copy)]
pub struct AttachOptions {
    /// `--no-stdin`: do not attach stdin (the only way until the monitor can share it).
    pub no_stdin: bool,
    /// `--sig-proxy` (default on): forward our signals to the container.
    pub sig_proxy: bool,
}

impl Engine {
    /// Gives each new output entry of running container `name` to `show` until it stops;
    /// returns its exit code. Returns `Ok(None)` when the user detached (SIGINT without
    /// `--sig-proxy`).
    pub fn attach(
        &self,
        name: &str,
        opts: AttachOptions,
        show: &mut dyn FnMut(&Entry),
    ) -> Result<Option<i32>> {
        let record = self.container(name)?;
        if !record.state.running {
            return Err(Error::WrongState {
                id: record.short_id().into(),
                state: record.state.status.clone(),
                hint: "you cannot attach to a stopped container, start it first",
            });
        }
        if record.config.open_stdin && !opts.no_stdin {
            return Err(Error::invalid(
                "attach",
                name,
                "this engine cannot yet attach stdin to a running container (its monitor keeps it): add --no-stdin to see its output",
            ));
        }
        let signals = block(&PROXIED)?;
        let path = self.paths.log(&record.id);
        let (_, in_current) = crate::mechanisms::logs::read_with_rotated(&path)?;
        let mut on_signal = || {
            let Ok(Some(info)) = signals.read_signal() else {
                return false;
            };
            let Ok(signal) = Signal::try_from(info.ssi_signo as i32) else {
                return false;
            };
            if opts.sig_proxy {
                let _ = lifecycle::kill_container(&record, signal);
                return false;
            }
            signal == Signal::SIGINT // detach
        };
        let interrupt = Interrupt {
            fd: signals.as_fd(),
            on_ready: &mut on_signal,
        };
        if follow_log(&self.paths, &record, in_current, show, Some(interrupt))? {
            return Ok(None);
        }
        Ok(Some(self.wait(&record.id)?))
    }
}

/// Blocks `set` (so they queue instead of killing us) and returns a signalfd(2) to read them.
fn block(list: &[Signal]) -> Result<SignalFd> {
    let mut set = SigSet::empty();
    for s in list {
        set.add(*s);
    }
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(Error::sys("sigprocmask(2)"))?;
    SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .map_err(Error::sys("signalfd(2)"))
}
