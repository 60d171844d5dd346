//! Every layer together, applied by a container's first process on itself just before
//! execve(2). The work that allocates or reads files — working out the capability set,
//! compiling the seccomp profile — happens in [`Confinement::from_flags`], before clone(2);
//! [`Confinement::apply_in_child`] only makes system calls.

use crate::capabilities::{self, limit_bounding_set, set_process_capabilities};
use crate::seccomp::{Filter, SeccompOption};
use crate::{Result, error::sys, no_new_privs, paths};
use caps::CapsHashSet;

/// Docker's confinement flags, as `docker run` takes them.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--cap-add` (names, with or without `CAP_`; `ALL`).
    pub cap_add: Vec<String>,
    /// `--cap-drop`.
    pub cap_drop: Vec<String>,
    /// `--privileged`: every capability, no masked or read-only paths, and no seccomp filter
    /// unless one is given explicitly.
    pub privileged: bool,
    /// `--security-opt seccomp=…` (`None`: the default profile).
    pub seccomp: Option<SeccompOption>,
    /// `--security-opt no-new-privileges`.
    pub no_new_privileges: bool,
}

/// What a container's process is confined by.
#[derive(Debug, Clone)]
pub struct Confinement {
    /// The capabilities it keeps: its bounding set, and its effective and permitted sets
    /// when it runs as uid 0.
    pub capabilities: CapsHashSet,
    /// Set `no_new_privs` (prctl(2)).
    pub no_new_privs: bool,
    /// The compiled seccomp filter (`None`: unconfined).
    pub seccomp: Option<Filter>,
    /// Paths to hide (see [`paths::mask`]).
    pub masked_paths: Vec<String>,
    /// Paths to make read-only (see [`paths::make_readonly`]).
    pub readonly_paths: Vec<String>,
    /// The user and group to become (setgid(2), setuid(2)).
    pub uid: u32,
    /// See [`Confinement::uid`].
    pub gid: u32,
    /// Its supplementary groups (setgroups(2)); none unless given (`docker run --group-add`).
    pub groups: Vec<nix::unistd::Gid>,
}

impl Confinement {
    /// Docker's default confinement for a root process: 14 capabilities, the default seccomp
    /// profile, Docker's masked and read-only paths, `no_new_privs` off.
    pub fn docker_default() -> Result<Confinement> {
        Confinement::from_flags(&Flags::default())
    }

    // ANCHOR: from_flags
    /// The confinement `docker run` would give for these flags. Compiles the seccomp filter
    /// for the resulting capability set (its relaxations depend on it): call before clone(2).
    pub fn from_flags(flags: &Flags) -> Result<Confinement> {
        let capabilities =
            capabilities::capability_set(&flags.cap_add, &flags.cap_drop, flags.privileged)?;
        // As moby does: a profile given explicitly applies even with --privileged; otherwise a
        // privileged container runs unfiltered.
        let seccomp = match (&flags.seccomp, flags.privileged) {
            (Some(option), _) => option.filter(&capabilities)?,
            (None, true) => None,
            (None, false) => SeccompOption::Default.filter(&capabilities)?,
        };
        let (masked_paths, readonly_paths) = if flags.privileged {
            (Vec::new(), Vec::new())
        } else {
            paths::docker_defaults()
        };
        Ok(Confinement {
            capabilities,
            no_new_privs: flags.no_new_privileges,
            seccomp,
            masked_paths,
            readonly_paths,
            uid: 0,
            gid: 0,
            groups: Vec::new(),
        })
    }
    // ANCHOR_END: from_flags

    // ANCHOR: apply_in_child
    /// Confines the calling process; call it in the container's first process (or an `exec`'d
    /// one) after pivot_root(2), as the last thing before execve(2). The order matters:
    ///
    /// 1. masked and read-only paths: mount(2) needs `CAP_SYS_ADMIN`, so before any drop;
    /// 2. the bounding set: prctl(PR_CAPBSET_DROP) needs `CAP_SETPCAP`;
    /// 3. without `no_new_privs`, seccomp now: installing a filter then needs `CAP_SYS_ADMIN`,
    ///    which the process still has (runc does the same); the filter must allow what
    ///    follows (Docker's does: setuid, capset, prctl);
    /// 4. setgroups, setgid, setuid: leaving uid 0 clears the permitted and effective sets;
    /// 5. capset(2): the effective, permitted, inheritable and ambient sets;
    /// 6. with `no_new_privs`: set it, then seccomp last, so the filter never has to allow the
    ///    set-up calls above, and can be installed without `CAP_SYS_ADMIN`.
    ///
    /// Descriptors from 3 up are marked close-on-exec (close_range(2)) so none of the engine's
    /// files reach the command. Nothing here allocates unless a step fails (to say why), so
    /// it is safe in a child cloned from a multi-threaded parent.
    pub fn apply_in_child(&self) -> Result<()> {
        paths::mask_and_protect(&self.masked_paths, &self.readonly_paths)?;
        limit_bounding_set(&self.capabilities)?;
        close_other_fds_on_exec()?;
        if !self.no_new_privs {
            self.install_seccomp()?;
        }
        // Refused (harmlessly) in a user namespace with setgroups=deny, unless groups were asked.
        let groups = nix::unistd::setgroups(&self.groups);
        if !self.groups.is_empty() {
            groups.map_err(sys("setgroups(2)"))?;
        }
        nix::unistd::setgid(self.gid.into()).map_err(sys("setgid(2)"))?;
        nix::unistd::setuid(self.uid.into()).map_err(sys("setuid(2)"))?;
        set_process_capabilities(&self.capabilities, self.uid == 0)?;
        if self.no_new_privs {
            no_new_privs::set()?;
            self.install_seccomp()?;
        }
        Ok(())
    }
    // ANCHOR_END: apply_in_child

    fn install_seccomp(&self) -> Result<()> {
        match &self.seccomp {
            Some(filter) => filter
                .install()
                .map_err(sys("seccomp(SECCOMP_SET_MODE_FILTER)")),
            None => Ok(()),
        }
    }
}

/// Marks every descriptor from 3 up close-on-exec with close_range(2) (Linux 5.11), so no
/// file, socket or pipe of the engine reaches the container's command.
pub fn close_other_fds_on_exec() -> Result<()> {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on descriptors; it touches
    // no memory and closes nothing.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if rc != 0 {
        return Err(sys("close_range(3.., CLOSE_RANGE_CLOEXEC)")(
            nix::Error::last(),
        ));
    }
    Ok(())
}
