//! A tiny init (`docker run --init`). A process that is pid 1 of a PID namespace has two jobs
//! most programs do not do (pid_namespaces(7)): it adopts every orphan and must reap it with
//! wait(2), or zombies pile up; and the kernel delivers it only the signals it has handlers
//! for, so a plain `sleep` as pid 1 ignores SIGTERM. Docker runs `tini` for this; we need no
//! binary in the image, because the cloned child already *is* a copy of the program that
//! started the container: it forks the command and stays behind as pid 1
//! ([`crate::container::ContainerSpec::init`]).

use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// The signals the init passes on to the command (SIGKILL and SIGSTOP cannot be caught, and
/// SIGCHLD is the init's own business).
const FORWARDED: [Signal; 7] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
];

/// Forks `exec_command` as pid 2 and, as pid 1, forwards signals to it and reaps every child
/// until it exits; returns its exit code (128+N when killed by signal N).
/// `exec_seen` is the write end of the "past execve" pipe (see
/// [`crate::container::Created::start`]): the init closes its copy once it is ready for
/// signals, its child's copy closes at execve.
pub fn run_as_init(exec_seen: std::os::fd::RawFd, exec_command: impl FnOnce() -> i32) -> i32 {
    supervise(Some(exec_seen), exec_command)
}

/// [`run_as_init`]'s work for any parent that must stand in for its command: also `exec`'s
/// waiting process ([`crate::join`]), which is in the command's session with `-t` and so gets
/// the terminal's signals too.
pub fn supervise(exec_seen: Option<std::os::fd::RawFd>, exec_command: impl FnOnce() -> i32) -> i32 {
    let set = init_signals();
    if !block_init_signals() {
        return crate::container::EXIT_SETUP_FAILED;
    }
    // SAFETY: this process is single-threaded (a fresh clone of its single-threaded parent), so fork(2) is safe.
    let command = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let _ = sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None);
            std::process::exit(exec_command());
        }
        Ok(ForkResult::Parent { child }) => {
            if let Some(fd) = exec_seen {
                let _ = nix::unistd::close(fd);
            }
            child
        }
        Err(_) => return crate::container::EXIT_SETUP_FAILED,
    };
    loop {
        match set.wait() {
            Ok(Signal::SIGCHLD) => {
                if let Some(code) = reap_all(command) {
                    return code;
                }
            }
            Ok(other) => {
                let _ = kill(command, other);
            }
            Err(_) => {}
        }
    }
}

/// SIGCHLD and the signals an init forwards.
fn init_signals() -> SigSet {
    let mut set = SigSet::empty();
    set.add(Signal::SIGCHLD);
    for s in FORWARDED {
        set.add(s);
    }
    set
}

/// Blocks SIGCHLD and the forwarded signals (sigprocmask(2)), so they queue up for sigwait(2)
/// instead of being acted on — also across execve(2), for an init that is another program
/// (lesson 07's dmz). False if the kernel refused.
pub fn block_init_signals() -> bool {
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&init_signals()), None).is_ok()
}

/// Reaps every exited child without blocking; the command's exit code once it is among them.
fn reap_all(command: Pid) -> Option<i32> {
    let mut result = None;
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(_) => return result,
            Ok(status) => {
                if status.pid() == Some(command) {
                    result = crate::process::exit_code(status);
                }
            }
        }
    }
}
