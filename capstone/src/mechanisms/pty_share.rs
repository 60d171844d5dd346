//! A copy of a detached `-t` container's pty master, taken from its monitor with
//! pidfd_getfd(2) (Linux 5.6): `attach` writes what we type into it, the way a terminal
//! emulator writes keys into its own master; the monitor goes on reading the output into the
//! log. The monitor's master is the one descriptor of it whose proc(5) `fdinfo` has a
//! `tty-index:` line (the kernel prints it for a pty master only).

use crate::{Error, Result};
use nix::unistd::Pid;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Our own descriptor for the pty master held by the monitor `monitor_pid`.
pub fn master_of(monitor_pid: i32) -> Result<OwnedFd> {
    let fdinfo = format!("/proc/{monitor_pid}/fdinfo");
    let entries = std::fs::read_dir(&fdinfo).map_err(Error::io("read", &fdinfo))?;
    let target = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .find(|fd| {
            std::fs::read_to_string(format!("{fdinfo}/{fd}"))
                .is_ok_and(|info| info.lines().any(|l| l.starts_with("tty-index:")))
        })
        .ok_or_else(|| {
            Error::invalid(
                "attach",
                monitor_pid.to_string(),
                "the monitor holds no pty master",
            )
        })?;
    let pidfd = super::relay::pidfd(Pid::from_raw(monitor_pid))?;
    // SAFETY: pidfd_getfd takes a pidfd, a descriptor number in that process and flags, and
    // returns a new descriptor of ours or -1; it touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), target, 0) };
    if fd < 0 {
        return Err(Error::sys("pidfd_getfd(2)")(nix::errno::Errno::last()));
    }
    // SAFETY: the kernel just gave us this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Docker's `--detach-keys` (`ctrl-p,ctrl-q`, the default): the bytes, in order.
pub fn parse_detach_keys(keys: &str) -> Result<Vec<u8>> {
    keys.split(',')
        .map(|key| match key.strip_prefix("ctrl-") {
            Some(c) if c.len() == 1 && "abcdefghijklmnopqrstuvwxyz@[\\]^_".contains(c) => {
                Ok(c.as_bytes()[0].to_ascii_uppercase() & 0x1f)
            }
            None if key.len() == 1 && key.is_ascii() => Ok(key.as_bytes()[0]),
            _ => Err(Error::invalid(
                "--detach-keys",
                keys,
                "expected keys like ctrl-p,ctrl-q: ctrl-<a-z@[\\]^_> or single characters, comma-separated",
            )),
        })
        .collect()
}

/// Sets the window size of the pty behind `master` (TIOCSWINSZ, ioctl_tty(2)), as a terminal
/// emulator does when its window changes; the kernel then sends SIGWINCH to the pty's
/// foreground process group. The Engine API's `resize` calls end here.
pub fn set_window_size(master: std::os::fd::BorrowedFd<'_>, rows: u16, cols: u16) -> Result<()> {
    let size = nix::pty::Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one `struct winsize` from the pointer we pass.
    let rc = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
    if rc != 0 {
        return Err(Error::sys("ioctl(TIOCSWINSZ)")(nix::errno::Errno::last()));
    }
    Ok(())
}
