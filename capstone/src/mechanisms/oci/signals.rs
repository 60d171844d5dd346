//! `run` in the foreground stands in for its container, as runc does: a signal sent to the
//! runtime (Ctrl-C, `kill`) is passed on to the container's first process with kill(2), from
//! a signal handler (sigaction(2)) — which may only make async-signal-safe calls
//! (signal-safety(7)): one atomic load and kill(2).

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals a process standing in for its container passes on (Docker's `--sig-proxy`):
/// the ones a user or a supervisor sends to stop or poke a process. The capstone's foreground
/// monitor passes these on too; `run` here adds SIGWINCH, which the monitor handles itself
/// (it resizes the container's terminal).
pub const PROXIED: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// The container's first process, read by the handler.
static TARGET: AtomicI32 = AtomicI32::new(0);

extern "C" fn pass_on(signal: libc::c_int) {
    let pid = TARGET.load(Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe and touches no memory of ours.
        unsafe { libc::kill(pid, signal) };
    }
}

/// From now on, the [`PROXIED`] signals and SIGWINCH this process receives go to `pid` instead.
pub fn forward_to(pid: i32) -> nix::Result<()> {
    TARGET.store(pid, Ordering::Relaxed);
    let action = SigAction::new(
        SigHandler::Handler(pass_on),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in PROXIED.into_iter().chain([Signal::SIGWINCH]) {
        // SAFETY: the handler only loads an atomic and calls kill(2), both async-signal-safe.
        unsafe { sigaction(signal, &action) }?;
    }
    Ok(())
}
