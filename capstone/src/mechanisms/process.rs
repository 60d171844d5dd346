//! Is a process still the one we started, and waiting for it to end — from outside, without
//! being its parent. Pids are reused, so a pid alone proves nothing: its start time in
//! `/proc/PID/stat` (proc_pid_stat(5)) is recorded beside it and compared. Waiting uses a
//! pidfd (pidfd_open(2)), which poll(2) reports readable when the process exits: an event, not
//! sleeping and looking again.

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// Whether process `pid` exists and is the same process we saw start: its start time (field
/// 22 of `/proc/PID/stat`, proc_pid_stat(5)) must match, because pids are reused.
pub fn alive(pid: i32, start: u64) -> bool {
    pid > 0 && start_time(pid) == Some(start) && !is_zombie(pid)
}

/// Whether `pid` has exited and only waits to be reaped (state `Z` in `/proc/PID/stat`): an
/// orphan whose monitor was killed lingers so until its new parent calls wait(2).
fn is_zombie(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rfind(')')
        .and_then(|i| stat.get(i + 2..i + 3))
        .is_some_and(|state| state == "Z" || state == "X")
}

/// Whether our own child `pid` has exited: waitid(2) with `WNOWAIT` looks without reaping, so
/// whoever waits for it later still gets its exit status.
pub fn has_exited(pid: i32) -> bool {
    use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    matches!(
        waitid(Id::Pid(nix::unistd::Pid::from_raw(pid)), flags),
        Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..))
    )
}

/// Whether our own child `pid` has exited or does so within `timeout` (waited for on a pidfd,
/// see [`wait_for_exit`]). For a child whose set-up failed: exit(2) releases a process's
/// namespaces before it becomes a zombie, so a parent that found its network namespace gone
/// may look a moment too early for [`has_exited`] alone.
pub fn exits_within(pid: i32, timeout: Duration) -> bool {
    has_exited(pid) || start_time(pid).is_none_or(|start| wait_for_exit(pid, start, Some(timeout)))
}

/// The start time of `pid` in clock ticks since boot (`/proc/PID/stat` field 22).
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    let after = &stat[stat.rfind(')')? + 2..];
    // `after` starts at field 3 (state); field 22 is 19 further.
    after.split(' ').nth(19)?.parse().ok()
}

/// Waits until process `pid` (started at `start`) has exited, or `timeout` passes: pidfd_open(2)
/// gives a descriptor that poll(2) reports readable when the process ends. Returns false only
/// on timeout (a process that is already gone counts as exited).
// ANCHOR: wait_for_exit
pub fn wait_for_exit(pid: i32, start: u64, timeout: Option<Duration>) -> bool {
    if pid <= 0 {
        return true;
    }
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return true; // ESRCH: already gone
    }
    // SAFETY: the kernel just gave us this descriptor.
    let pidfd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    // Opened the right process? (Checked after opening, so it cannot be reused in between.)
    if !alive(pid, start) {
        return true;
    }
    let timeout = match timeout {
        None => PollTimeout::NONE,
        Some(t) => PollTimeout::try_from(t).unwrap_or(PollTimeout::MAX),
    };
    let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
    loop {
        match poll(&mut fds, timeout) {
            Ok(0) => return false,
            Ok(_) => return true,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return true,
        }
    }
}

// ANCHOR_END: wait_for_exit
