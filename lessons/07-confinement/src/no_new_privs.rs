//! `no_new_privs` (prctl(2) `PR_SET_NO_NEW_PRIVS`, Linux 3.5): a one-way switch after which
//! execve(2) never grants anything the process did not already have — setuid and setgid bits
//! are ignored, file capabilities are not added. It is inherited by every child and can never
//! be turned off. Docker sets it with `--security-opt no-new-privileges`; it also lets an
//! unprivileged process install a seccomp filter (seccomp(2)).

use crate::Result;
use crate::error::sys;

/// Sets `no_new_privs` on the calling thread (and so on everything it executes or forks).
// ANCHOR: set
pub fn set() -> Result<()> {
    // exercise 07.1 no-new-privs: begin
    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) takes plain integers and touches no memory.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc != 0 {
        return Err(sys("prctl(PR_SET_NO_NEW_PRIVS)")(nix::Error::last()));
    }
    Ok(())
    // exercise 07.1: end
}
// ANCHOR_END: set

/// Whether the calling thread has `no_new_privs` (prctl(2) `PR_GET_NO_NEW_PRIVS`).
pub fn is_set() -> Result<bool> {
    // SAFETY: PR_GET_NO_NEW_PRIVS takes no pointer; it returns 0 or 1.
    let rc = unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) };
    if rc < 0 {
        return Err(sys("prctl(PR_GET_NO_NEW_PRIVS)")(nix::Error::last()));
    }
    Ok(rc == 1)
}
