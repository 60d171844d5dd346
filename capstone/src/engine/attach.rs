//! `attach`: a running container's output, live, until it stops; then its exit code. Without
//! a daemon there is no process to attach *to* but the container's monitor, which writes
//! everything the container prints to the json log as it comes: the output is that log,
//! followed from its end (inotify(7), as `logs -f` does).
//!
//! Stdin: for a `-t` container, what we type goes into a copy of its pty master that we take
//! from the monitor ([`pty_share`]), our terminal in raw mode meanwhile; the detach keys
//! (Ctrl-P Ctrl-Q unless `--detach-keys` says otherwise) leave it running. A container made
//! with `-i` but no `-t` reads a stdin the monitor does not share yet: attach it with
//! `--no-stdin`. Our signals go to the container (kill(2)) while `--sig-proxy` is on, as
//! Docker's CLI forwards them; with it off, Ctrl-C (SIGINT) detaches.
//!
//! [`pty_share`]: crate::mechanisms::pty_share

use super::logs::{Interrupt, Next, follow_log};
use super::{Engine, lifecycle};
use crate::mechanisms::{logs::Entry, pty, pty_share};
use crate::{Error, Result};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::{AsFd, OwnedFd};

/// The signals Docker's CLI forwards with `--sig-proxy` (and SIGINT, which detaches without).
const PROXIED: [Signal; 5] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// How `attach` attaches.
#[derive(Debug, Clone, Default)]
pub struct AttachOptions {
    /// `--no-stdin`: do not attach stdin.
    pub no_stdin: bool,
    /// `--sig-proxy` (Docker's default is on): forward our signals to the container.
    pub sig_proxy: bool,
    /// `--detach-keys` (default `ctrl-p,ctrl-q`).
    pub detach_keys: Option<String>,
}

impl Engine {
    /// Gives each new output entry of running container `name` to `show` until it stops;
    /// returns its exit code, or `None` when the user detached.
    pub fn attach(
        &self,
        name: &str,
        opts: &AttachOptions,
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
        let keys =
            pty_share::parse_detach_keys(opts.detach_keys.as_deref().unwrap_or("ctrl-p,ctrl-q"))?;
        let with_stdin = record.config.open_stdin && !opts.no_stdin;
        if with_stdin && !record.config.tty {
            return Err(Error::invalid(
                "attach",
                name,
                "this engine cannot yet attach stdin to a running container without a tty (its monitor keeps it): add --no-stdin to see its output",
            ));
        }
        let master: Option<OwnedFd> = with_stdin
            .then(|| pty_share::master_of(record.state.monitor_pid))
            .transpose()?;
        let stdin = std::io::stdin();
        if let Some(master) = &master {
            pty::copy_window_size(stdin.as_fd(), master.as_fd());
        }
        // Raw mode only while our keys go to the container's pty (its own line discipline
        // echoes and edits); restored when `_raw` drops, on every way out.
        let _raw = master
            .as_ref()
            .and_then(|_| pty::RawMode::enter(stdin.as_fd()));
        let signals = block(&PROXIED)?;
        let path = self.paths.log(&record.id);
        let (_, in_current) = crate::mechanisms::logs::read_with_rotated(&path)?;
        let mut typed = KeyScanner::new(keys);
        let mut on_ready = |index: usize| match index {
            0 => {
                let Ok(Some(info)) = signals.read_signal() else {
                    return Next::Continue;
                };
                let Ok(signal) = Signal::try_from(info.ssi_signo as i32) else {
                    return Next::Continue;
                };
                if opts.sig_proxy && !record.config.tty {
                    let _ = lifecycle::kill_container(&record, signal);
                    return Next::Continue;
                }
                if signal == Signal::SIGINT {
                    Next::Stop
                } else {
                    Next::Continue
                }
            }
            _ => {
                let master = master.as_ref().expect("stdin is polled only with a master");
                typed.forward(stdin.as_fd(), master)
            }
        };
        let interrupt = Interrupt {
            fds: vec![
                Some(signals.as_fd()),
                master.as_ref().map(|_| stdin.as_fd()),
            ],
            on_ready: &mut on_ready,
        };
        if follow_log(&self.paths, &record, in_current, show, Some(interrupt))? {
            return Ok(None);
        }
        Ok(Some(self.wait(&record.id)?))
    }
}

impl Engine {
    /// `docker resize` (the Engine API's `POST /containers/{id}/resize`): sets the window size
    /// of running `-t` container `name` through a copy of its monitor's pty master
    /// ([`pty_share::master_of`], then TIOCSWINSZ). A container without a tty has no window:
    /// nothing to do, as with Docker.
    pub fn resize(&self, name: &str, rows: u16, cols: u16) -> Result<()> {
        let record = self.container(name)?;
        if !record.config.tty {
            return Ok(());
        }
        if !record.state.running {
            return Err(Error::WrongState {
                id: record.short_id().into(),
                state: record.state.status.clone(),
                hint: "only a running container has a terminal to resize: start it first",
            });
        }
        let master = pty_share::master_of(record.state.monitor_pid)?;
        pty_share::set_window_size(master.as_fd(), rows, cols)
    }
}

/// Our stdin into the pty master, watching for the detach keys (held back while they may
/// still be starting the sequence, sent on if the sequence breaks).
struct KeyScanner {
    keys: Vec<u8>,
    matched: usize,
}

impl KeyScanner {
    fn new(keys: Vec<u8>) -> KeyScanner {
        KeyScanner { keys, matched: 0 }
    }

    fn forward(&mut self, stdin: std::os::fd::BorrowedFd, master: &OwnedFd) -> Next {
        let mut buf = [0u8; 4096];
        let n = match nix::unistd::read(stdin, &mut buf) {
            Ok(0) | Err(_) => return Next::Forget, // end of our input: output goes on
            Ok(n) => n,
        };
        let mut out = Vec::with_capacity(n);
        for &byte in &buf[..n] {
            if byte == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    let _ = write_all(master, &out);
                    return Next::Stop; // detached
                }
                continue;
            }
            out.extend_from_slice(&self.keys[..self.matched]);
            self.matched = 0;
            out.push(byte);
        }
        let _ = write_all(master, &out);
        Next::Continue
    }
}

/// Writes all of `bytes` to `fd` (write(2) may take fewer at a time).
pub(super) fn write_all(fd: &OwnedFd, mut bytes: &[u8]) -> nix::Result<()> {
    while !bytes.is_empty() {
        let n = nix::unistd::write(fd, bytes)?;
        bytes = &bytes[n..];
    }
    Ok(())
}

/// Blocks `list` (so they queue instead of killing us) and returns a signalfd(2) to read them.
fn block(list: &[Signal]) -> Result<SignalFd> {
    let mut set = SigSet::empty();
    for s in list {
        set.add(*s);
    }
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(Error::sys("sigprocmask(2)"))?;
    SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .map_err(Error::sys("signalfd(2)"))
}
