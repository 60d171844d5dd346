//! Starting a process in new namespaces with clone(2), and holding it back until its parent
//! has finished preparing things for it.
//!
//! clone(2) is fork(2) with flags: with `CLONE_NEWUTS | CLONE_NEWPID | …` the child is born
//! inside fresh namespaces. (unshare(2) moves the *caller* into new namespaces instead — except
//! for PID namespaces, which only the caller's future children enter. That is why container
//! runtimes clone.)
//!
//! The child runs a closure on its own stack, in a copy of the parent's memory. A copy made
//! from a multi-threaded parent has only the calling thread, so the closure must stick to plain
//! system calls: the steps are single-threaded programs, and tests run them as subprocesses.

use crate::Result;
use crate::error::sys;
use crate::namespace::{Namespace, clone_flags};
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use std::cell::Cell;
use std::os::fd::OwnedFd;

/// The stack the child starts on: 1 MiB is plenty for a closure that sets things up and
/// calls execve(2).
const CHILD_STACK_SIZE: usize = 1024 * 1024;

/// A child process we created and must reap with waitpid(2).
#[derive(Debug)]
pub struct Child {
    pid: Pid,
}

impl Child {
    /// The child `pid`, made by fork(2) in this crate.
    pub(crate) fn from_pid(pid: Pid) -> Child {
        Child { pid }
    }

    /// The child's process id as seen from the parent's PID namespace.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits for the child to end (waitpid(2)) and returns its exit code the way shells and
    /// Docker report it: the exit status, or 128+N when killed by signal N.
    pub fn wait(self) -> Result<i32> {
        loop {
            match waitpid(self.pid, None) {
                Ok(status) => {
                    if let Some(code) = exit_code(status) {
                        return Ok(code);
                    }
                }
                Err(nix::Error::EINTR) => continue,
                Err(e) => return Err(sys(format!("waitpid({})", self.pid))(e)),
            }
        }
    }
}

/// The shell's view of a wait status: `Some(status)` for an exit, `Some(128 + signal)` for a
/// death by signal, `None` for stops and continues (the process is still alive).
pub fn exit_code(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, signal, _) => Some(128 + signal as i32),
        _ => None,
    }
}

// ANCHOR: spawn
/// Starts `body` in a child process inside new namespaces of the given kinds (clone(2)), and
/// returns at once in the parent. The child's exit code is what `body` returns.
pub fn spawn(namespaces: &[Namespace], mut body: impl FnMut() -> i32) -> Result<Child> {
    let mut stack = vec![0u8; CHILD_STACK_SIZE];
    let flags = clone_flags(namespaces);
    // SAFETY: the child gets a copy of our memory (no CLONE_VM), runs `body` on `stack`, and
    // exits with its return value; the parent's memory, including `stack`, is never shared.
    let pid = unsafe {
        nix::sched::clone(
            Box::new(|| body() as isize),
            &mut stack,
            flags,
            Some(Signal::SIGCHLD as i32),
        )
    }
    .map_err(sys(format!("clone(2) with {flags:?}")))?;
    Ok(Child { pid })
}
// ANCHOR_END: spawn

/// A one-shot pipe(2) the parent uses to hold a new child back: the child blocks in
/// [`Gate::wait`] until the parent calls [`Gate::open`] (or dies, which also releases it, so
/// the child never hangs forever). After clone(2) both processes hold both ends; each side
/// uses one.
///
/// Why hold it back? Between clone(2) and the child's first step, the parent may have work to
/// do *for* the child from the outside: write its uid_map, put it in a cgroup, move a network
/// device into its namespace.
pub struct Gate {
    read_end: OwnedFd,
    write_end: Cell<Option<OwnedFd>>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("read_end", &self.read_end)
            .finish_non_exhaustive()
    }
}

impl Gate {
    /// Makes the pipe (pipe2(2) with `O_CLOEXEC`, so it never leaks into the container's
    /// command).
    pub fn new() -> Result<Gate> {
        let (read_end, write_end) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(sys("pipe2(2)"))?;
        Ok(Gate {
            read_end,
            write_end: Cell::new(Some(write_end)),
        })
    }

    /// Waiting side: close our copy of the write end, then block until the other side writes a
    /// byte (true) or every write end is closed without one (false: the other side died).
    pub fn wait(&self) -> bool {
        // Our copy of the write end would keep the pipe open and hide the other side's death.
        drop(self.write_end.take());
        let mut byte = [0u8; 1];
        loop {
            match nix::unistd::read(&self.read_end, &mut byte) {
                Ok(1) => return true,
                Err(nix::Error::EINTR) => continue,
                _ => return false,
            }
        }
    }

    /// Let the waiting side go (usually the parent releasing the child; a child can also use a
    /// second gate to tell its parent "ready").
    pub fn open(&self) -> Result<()> {
        // Write one byte, then close our write end: the gate opens once.
        let write_end = self.write_end.take().ok_or_else(|| {
            crate::Error::Invalid("this gate was already opened or waited on".into())
        })?;
        nix::unistd::write(&write_end, &[1]).map_err(sys("write(2) to a gate"))?;
        Ok(())
    }
}
