//! The CLI's side of `exec -t`: copy between the user's terminal and the pty master the
//! exec'd process sent back ([`namespaces::console`]) until that process is gone.
//!
//! One poll(2) loop over: the master (its output to our stdout), our stdin (with `-i`, typed
//! bytes to the master), a signalfd(2) for SIGWINCH (the user resized their window: copy the
//! size to the pty with TIOCSWINSZ, and the kernel tells the process with its own SIGWINCH),
//! and a pidfd (pidfd_open(2)) that becomes readable when our child exits. Our terminal is in
//! raw mode while keys are forwarded, restored by a guard on every way out — also when we are
//! told to stop (SIGINT, SIGTERM, SIGHUP, SIGQUIT are read from the signalfd too): then we
//! close the master, and the kernel hangs up the process's terminal (SIGHUP), as when a
//! terminal window closes.

use crate::mechanisms::pty;
use crate::{Error, Result};
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::Pid;
use std::io::Write;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};

/// Relays between our terminal and `master` until `child` exits or the pty closes; with
/// `forward_stdin`, our stdin goes to the pty (and our terminal is raw meanwhile).
pub fn relay(master: OwnedFd, child: Pid, forward_stdin: bool) -> Result<()> {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGWINCH,
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ] {
        set.add(signal);
    }
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(Error::sys("sigprocmask(2)"))?;
    let signals =
        SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC).map_err(Error::sys("signalfd(2)"))?;
    let exited = pidfd(child)?;
    let stdin = std::io::stdin();
    let _raw = forward_stdin
        .then(|| pty::RawMode::enter(stdin.as_fd()))
        .flatten();
    let mut stdin_open = forward_stdin;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let mut fds = vec![
            PollFd::new(master.as_fd(), PollFlags::POLLIN),
            PollFd::new(exited.as_fd(), PollFlags::POLLIN),
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
        ];
        if stdin_open {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => other.map_err(Error::sys("poll(2)"))?,
        };
        let ready = |i: usize| {
            fds.get(i)
                .and_then(PollFd::revents)
                .is_some_and(|r| !r.is_empty())
        };
        let (output, gone, signalled, typed) = (ready(0), ready(1), ready(2), ready(3));
        drop(fds);
        if signalled && let Ok(Some(info)) = signals.read_signal() {
            if info.ssi_signo != Signal::SIGWINCH as u32 {
                return Ok(()); // told to stop: dropping the master hangs up the process
            }
            pty::copy_window_size(stdin.as_fd(), master.as_fd());
        }
        if typed {
            match nix::unistd::read(stdin.as_fd(), &mut buf) {
                Ok(n) if n > 0 => write_all(&master, &buf[..n])?,
                _ => stdin_open = false,
            }
        }
        if output && !copy_to_stdout(&master, &mut buf) {
            return Ok(()); // EIO: every slave is closed, the process is gone
        }
        if gone {
            // Whatever it printed last is still in the pty: read it without blocking.
            fcntl(&master, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).map_err(Error::sys("fcntl(2)"))?;
            while copy_to_stdout(&master, &mut buf) {}
            return Ok(());
        }
    }
}

/// Copies one read of `master` to stdout; false at end-of-file, EIO or "nothing more now".
fn copy_to_stdout(master: &OwnedFd, buf: &mut [u8]) -> bool {
    match nix::unistd::read(master.as_fd(), buf) {
        Ok(n) if n > 0 => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&buf[..n]).and_then(|()| out.flush());
            true
        }
        Err(nix::errno::Errno::EINTR) => true,
        _ => false,
    }
}

fn write_all(fd: &OwnedFd, mut bytes: &[u8]) -> Result<()> {
    while !bytes.is_empty() {
        match nix::unistd::write(fd, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(Error::sys("write(2) to the pty")(e)),
        }
    }
    Ok(())
}

/// A descriptor that poll(2) reports readable once `pid` has exited (pidfd_open(2)).
pub(crate) fn pidfd(pid: Pid) -> Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if fd < 0 {
        return Err(Error::sys("pidfd_open(2)")(nix::errno::Errno::last()));
    }
    // SAFETY: the kernel just gave us this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}
