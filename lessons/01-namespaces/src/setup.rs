//! Steps a container's process takes on itself, shared by a new container
//! ([`crate::container`]) and a process joining a running one ([`crate::join`]): signals back
//! to their defaults, stdio, working directory, user.

use crate::hooks::Hooks;
use crate::{Error, Result};
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, signal, sigprocmask};
use std::os::fd::RawFd;
use std::path::Path;

/// A clone is a copy of its parent, including a blocked signal mask (an engine reading signals
/// from a signalfd(2) blocks them) and ignored signals: Rust ignores SIGPIPE, and a program a
/// shell without job control starts in the background (`cmd &` in a script) ignores SIGINT and
/// SIGQUIT. execve(2) keeps both (signal(7), "Signal disposition"), and a command must start
/// with neither — a shell started with SIGINT ignored cannot even `trap` it — so every signal
/// goes back to its default first, as systemd does for a service.
pub(crate) fn reset_signals() {
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    for sig in Signal::iterator().filter(|s| !matches!(s, Signal::SIGKILL | Signal::SIGSTOP)) {
        // SAFETY: setting a signal's disposition back to the default has no memory effects.
        let _ = unsafe { signal(sig, SigHandler::SigDfl) };
    }
}

/// Until its execve(2), a container's process runs the engine's own binary, and it is visible
/// inside the container. Non-dumpable (prctl(2) `PR_SET_DUMPABLE` 0), its `/proc/PID/exe`,
/// `fd/` and `mem` open only for a process with `CAP_SYS_PTRACE` (ptrace(2), "Ptrace access
/// mode checking"), which a container lacks by default: nobody inside gets a handle on the
/// engine's file. execve(2) makes the command dumpable again (runc does the same).
pub(crate) fn not_dumpable() {
    let _ = nix::sys::prctl::set_dumpable(false);
}

/// Makes `fds` (if given) this process's 0, 1 and 2; with them or with a terminal to come,
/// starts a new session (setsid(2)) so the host terminal's job control does not reach it.
pub(crate) fn take_stdio(fds: Option<[RawFd; 3]>, terminal: bool) -> Result<()> {
    if let Some(fds) = fds {
        dup_onto_stdio(fds)?;
    }
    if fds.is_some() || terminal {
        nix::unistd::setsid().map_err(crate::error::sys("setsid(2)"))?;
    }
    Ok(())
}

/// dup2(2) of `fds` onto 0, 1 and 2.
pub(crate) fn dup_onto_stdio(fds: [RawFd; 3]) -> Result<()> {
    for (target, fd) in fds.into_iter().enumerate() {
        // SAFETY: dup2 on descriptors this process owns; no Rust object owns fds 0-2 here.
        if unsafe { libc::dup2(fd, target as RawFd) } < 0 {
            let call = format!("dup2({fd}, {target})");
            return Err(crate::error::sys(call)(nix::Error::last()));
        }
    }
    Ok(())
}

/// Enters the working directory, first creating it if `create` is set and it is missing (as
/// Docker does for `run`, not for `exec`). It is resolved after pivot_root(2), so even a
/// symlink in the image cannot lead outside.
pub(crate) fn enter_working_dir(dir: &Path, create: bool) -> Result<()> {
    if create && !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Invalid(format!(
                "cannot create the working directory {} inside the container: {e}",
                dir.display()
            ))
        })?;
    }
    nix::unistd::chdir(dir).map_err(|e| {
        Error::Invalid(format!(
            "working directory {} inside the container: {e}",
            dir.display()
        ))
    })
}

/// The user switch, between the engine's hooks: [`Hooks::before_user_switch`], then
/// [`Hooks::switch_user`] (lesson 01's [`become_user`] unless the engine does it its own way).
pub(crate) fn switch_user(uid: u32, gid: u32, in_userns: bool, hooks: &dyn Hooks) -> Result<()> {
    hooks.before_user_switch().map_err(Error::Hook)?;
    hooks.switch_user(uid, gid, in_userns).map_err(Error::Hook)
}

/// Becomes `uid`:`gid` with no supplementary groups (setgroups(2), setgid(2), setuid(2), in
/// that order: once the uid is not 0, the process may change neither). In a user namespace
/// with `setgroups` denied, setgroups(2) is refused harmlessly.
pub(crate) fn become_user(uid: u32, gid: u32, in_userns: bool) -> Result<()> {
    match nix::unistd::setgroups(&[]) {
        Err(e) if !in_userns => return Err(crate::error::sys("setgroups(2)")(e)),
        _ => {}
    }
    nix::unistd::setgid(gid.into()).map_err(crate::error::sys(format!("setgid({gid})")))?;
    nix::unistd::setuid(uid.into()).map_err(crate::error::sys(format!("setuid({uid})")))?;
    Ok(())
}
