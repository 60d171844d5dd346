//! Run a probe in a forked child process and wait for it with a deadline.
//!
//! Some probes change the calling process for good (unshare(2) into a user namespace, dropping
//! to an unprivileged uid) or may hang in the kernel (creating a VM on a nested KVM). A child
//! process takes those risks for us: it does one probe, reports through its exit status, and is
//! killed if it overruns its deadline. We wait on a pidfd (pidfd_open(2), Linux 5.3) with
//! poll(2), so waiting never sleeps longer than needed and never blocks forever.

use crate::error::{Error, Result, sys};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// How a probe child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status (the probe's answer).
    Exited(i32),
    /// A signal killed it.
    Signaled(Signal),
}

/// Forks; the child runs `probe` and exits with its return value; the parent waits at most
/// `deadline`, then SIGKILLs the child and reports [`Error::Timeout`].
///
/// `probe` runs in a copy of a process that may have other threads, so it must only make
/// async-signal-safe calls (signal-safety(7)): plain system calls through `libc`/`nix`, no
/// allocation, no locks, no printing. Prepare strings before calling this.
pub fn run_probe(what: &str, deadline: Duration, probe: impl FnOnce() -> i32) -> Result<Ended> {
    // SAFETY: the child only runs `probe`, which by contract makes async-signal-safe calls
    // only, then leaves with _exit(2) without running destructors or atexit handlers.
    let child = match unsafe { fork() }.map_err(sys("fork"))? {
        ForkResult::Child => {
            let code = probe();
            // SAFETY: _exit(2) ends the child immediately; it never returns.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => child,
    };
    let pidfd = match pidfd_open(child) {
        Ok(fd) => fd,
        Err(e) => {
            // Without a pidfd we cannot wait with a deadline: do not leave the child running.
            let _ = kill(child, Signal::SIGKILL);
            let _ = waitpid(child, None);
            return Err(e);
        }
    };
    if !exited_within(&pidfd, deadline)? {
        // Why SIGKILL: the probe may be stuck in a system call; nothing else stops it.
        let _ = kill(child, Signal::SIGKILL);
        // A child stuck in an uninterruptible kernel wait dies only when that wait ends; do
        // not block on it. If it never exits, it is reaped when this process exits.
        if exited_within(&pidfd, Duration::from_secs(1))? {
            let _ = waitpid(child, None);
        }
        return Err(Error::Timeout {
            what: what.to_string(),
            after: deadline,
        });
    }
    match waitpid(child, None).map_err(sys(format!("waitpid({child})")))? {
        WaitStatus::Exited(_, code) => Ok(Ended::Exited(code)),
        WaitStatus::Signaled(_, signal, _) => Ok(Ended::Signaled(signal)),
        other => Err(Error::Unexpected(format!(
            "probe child {child} ended oddly: {other:?}"
        ))),
    }
}

/// A pidfd for `pid` (pidfd_open(2)): a descriptor that polls readable when the process exits.
fn pidfd_open(pid: Pid) -> Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if fd < 0 {
        return Err(Error::Syscall {
            call: format!("pidfd_open({pid}) (needs Linux 5.3)"),
            source: nix::Error::last(),
        });
    }
    // SAFETY: the kernel just gave us this descriptor; we are its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Polls the pidfd until the process exits (true) or `timeout` passes (false).
fn exited_within(pidfd: &OwnedFd, timeout: Duration) -> Result<bool> {
    let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
    loop {
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(ready) => return Ok(ready > 0),
            // A signal interrupted the wait; try again (the deadline restarts, a small price).
            Err(nix::Error::EINTR) => continue,
            Err(e) => return Err(sys("poll(pidfd)")(e)),
        }
    }
}

/// Words for how a probe child ended, for probes whose exit status is an errno.
pub fn describe(ended: &Result<Ended>) -> String {
    match ended {
        Ok(Ended::Exited(0)) => "it worked".into(),
        Ok(Ended::Exited(errno)) => nix::Error::from_raw(*errno).to_string(),
        Ok(Ended::Signaled(s)) => format!("the probe was killed by {s}"),
        Err(e) => e.to_string(),
    }
}
