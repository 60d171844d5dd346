//! Hooks: the places where an engine adds its own steps to lesson 01's container, without this
//! lesson knowing about overlays (lesson 03), volumes, or confinement (lesson 07).
//!
//! A student's container needs none of them: [`crate::container::create`] uses [`NoHooks`].
//! An engine such as the capstone implements [`Hooks`] and calls
//! [`crate::container::create_with`] (or [`crate::join::join`] for `exec`). Every hook runs in
//! the container's own process, after clone(2) or fork(2), in the order listed on the trait:
//! that process is a copy of a single-threaded caller, so a hook sticks to plain system calls
//! (no threads, no locks another thread might have held).

use std::os::fd::BorrowedFd;
use std::path::Path;

/// What a hook returns: any error, which the container's process prints on its stderr before
/// it exits with [`crate::container::EXIT_SETUP_FAILED`].
pub type HookResult = Result<(), Box<dyn std::error::Error + Send + Sync + 'static>>;

/// An engine's additions to a container's set-up, each a no-op unless implemented (but
/// [`Hooks::switch_user`], which is lesson 01's own step unless replaced). They are called in
/// this order.
pub trait Hooks {
    /// In the new mount namespace, propagation already private, before anything is mounted:
    /// make `root` hold the root filesystem — e.g. mount(2) an overlay on it (lesson 03). A
    /// mount made here belongs to the container's mount namespace and vanishes with it.
    fn prepare_root(&self, root: &Path) -> HookResult {
        let _ = root;
        Ok(())
    }

    /// With `/proc`, `/sys` and `/dev` mounted under `root` and the host's `/` still visible,
    /// just before pivot_root(2): bind mounts from the host (volumes, `/etc/hosts`).
    fn before_pivot(&self, root: &Path) -> HookResult {
        let _ = root;
        Ok(())
    }

    /// After pivot_root(2), still root with every capability: e.g. hide or write-protect paths
    /// under `/proc` and `/sys`.
    fn after_pivot(&self) -> HookResult {
        Ok(())
    }

    /// Just before the user switch (setgroups(2), setgid(2), setuid(2)), while the process still
    /// has `CAP_SETPCAP`: e.g. shrink the capability bounding set. Also called by `exec`.
    fn before_user_switch(&self) -> HookResult {
        Ok(())
    }

    /// Becomes `uid`:`gid` with no supplementary groups; `in_userns` says whether the process
    /// is in a user namespace of its own. The default is lesson 01's: setgroups(2), setgid(2),
    /// setuid(2). An engine whose confinement must make the switch itself, in its own order
    /// (lesson 07 installs seccomp and shrinks the bounding set around it), does it here.
    fn switch_user(&self, uid: u32, gid: u32, in_userns: bool) -> HookResult {
        crate::setup::become_user(uid, gid, in_userns)?;
        Ok(())
    }

    /// The very last step before execve(2), as the final user: confinement (capability sets,
    /// no_new_privs, seccomp), and closing descriptors the command must not inherit. Also
    /// called by `exec`.
    fn confine(&self) -> HookResult {
        Ok(())
    }

    /// For `exec` only: in the process that is about to join the container's namespaces,
    /// before setns(2) — e.g. move it into the container's cgroup, so the command is born there.
    fn before_join(&self) -> HookResult {
        Ok(())
    }

    /// Not a step but a choice, asked last: a program to make the final execve(2) of the
    /// command — a "dmz" (lesson 07's `dmz`: a tiny static binary in a sealed memfd). Until
    /// that execve the container's process runs the engine's own binary, so a command that is
    /// a `#!/proc/self/exe` script would make the kernel run the *engine* inside the container
    /// (CVE-2019-5736); through a dmz it runs the sealed dmz again. With `--init`, the dmz is
    /// the init too. `None` (the default): the process execs the command itself.
    fn exec_through(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}

/// No additions: lesson 01's own container.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {}
