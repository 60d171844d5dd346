//! The monitor's one poll(2) loop: the signalfd(2) (SIGCHLD, a window change, the signals to
//! forward), the container's output into the log (and to the terminal in the foreground), and
//! with `-it` our own stdin into its pty.

use super::stdio::Io;
use crate::mechanisms::logs::{LogWriter, Stream};
use crate::mechanisms::pty;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};

/// What a polled descriptor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Signals,
    Out,
    Err,
    Stdin,
}

/// The poll(2) loop: until the container has exited *and* its output is drained.
pub(super) fn pump(
    io: &mut Io,
    signals: &SignalFd,
    pid: i32,
    foreground: bool,
    log: &mut LogWriter,
) -> i32 {
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
