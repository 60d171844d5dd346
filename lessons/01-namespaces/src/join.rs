//! Joining a running container: what `docker exec` does. There is no "container" object in
//! the kernel to ask for a new process — only the namespaces of the container's processes —
//! so a new process *joins* them: setns(2) with a descriptor of each `/proc/PID/ns/*` link.
//!
//! Joining a PID namespace only affects the caller's future children (pid_namespaces(7)), so it
//! takes two fork(2)s: the first child joins the namespaces and sets itself up like a
//! container's process (terminal, working directory, user, confinement); the second is born
//! inside them, with all that inherited, and execs the command; the first waits for it and
//! exits with its exit code. The first child is not in the container's PID namespace, so no
//! process of the container can see it. The caller itself never
//! changes namespaces (setns(2) of a mount namespace would change its root directory too).

use crate::console::Console;
use crate::container::EXIT_SETUP_FAILED;
use crate::hooks::Hooks;
use crate::namespace::Namespace;
use crate::process::Child;
use crate::setup::{dup_onto_stdio, enter_working_dir, reset_signals, switch_user};
use crate::{Error, Result, exec};
use nix::sched::setns;
use nix::unistd::{ForkResult, Pid, fork};
use std::fs::File;
use std::os::fd::RawFd;
use std::path::PathBuf;

/// The order to join in: the user namespace first (it grants the capabilities for the rest),
/// the mount namespace late (after it, `/proc` paths are the container's), PID last of all.
const JOIN_ORDER: [Namespace; 7] = [
    Namespace::User,
    Namespace::Cgroup,
    Namespace::Ipc,
    Namespace::Uts,
    Namespace::Net,
    Namespace::Mount,
    Namespace::Pid,
];

/// What to run in a running container, and how.
#[derive(Clone, Debug)]
pub struct JoinSpec {
    /// A process of the container (usually its pid 1, as the host sees it).
    pub target: Pid,
    /// Which of its namespaces to join. One that is also ours (e.g. the host's network for
    /// `--network host`) is left alone.
    pub namespaces: Vec<Namespace>,
    /// The command and its arguments; the first is looked up in the container's `PATH`.
    pub args: Vec<String>,
    /// The environment, as `NAME=value` strings.
    pub env: Vec<String>,
    /// The working directory inside (not created: it must exist).
    pub cwd: PathBuf,
    /// User id to run as (setuid(2)).
    pub uid: u32,
    /// Group id to run as (setgid(2)).
    pub gid: u32,
    /// Descriptors that become its stdin, stdout and stderr (dup2(2)); it stays in our session,
    /// so the user's Ctrl-C reaches it. `None`: ours.
    pub stdio: Option<[RawFd; 3]>,
    /// A terminal made inside the container ([`crate::console`]), in a session of its own.
    pub console: Option<Console>,
}

impl JoinSpec {
    /// Runs `args` as root in `/`, in every namespace but the user namespace of `target`.
    pub fn new(target: Pid, args: Vec<String>) -> JoinSpec {
        JoinSpec {
            target,
            namespaces: JOIN_ORDER
                .into_iter()
                .filter(|ns| *ns != Namespace::User)
                .collect(),
            args,
            env: vec![format!("PATH={}", exec::DEFAULT_PATH)],
            cwd: PathBuf::from("/"),
            uid: 0,
            gid: 0,
            stdio: None,
            console: None,
        }
    }
}

/// Starts `spec.args` inside the namespaces of `spec.target` (see the module docs) and returns
/// the first child, whose exit code is the command's. The caller must be single-threaded: the
/// children are fork(2)ed copies of it.
pub fn join(spec: &JoinSpec, hooks: &dyn Hooks) -> Result<Child> {
    crate::privilege::require_root("joining a container")?;
    exec::check_strings(&spec.args, &spec.env)?;
    // Open every namespace now, while /proc is still ours.
    let mut files = Vec::new();
    for ns in JOIN_ORDER
        .into_iter()
        .filter(|ns| spec.namespaces.contains(ns))
    {
        if ns.inode(spec.target)? == ns.inode(Pid::this())? {
            continue; // already ours: nothing to join
        }
        let path = format!("/proc/{}/ns/{}", spec.target, ns.proc_name());
        files.push((File::open(&path).map_err(crate::error::io(&path))?, ns));
    }
    // SAFETY: the caller is single-threaded (documented above), so the child may do anything.
    match unsafe { fork() }.map_err(crate::error::sys("fork(2)"))? {
        ForkResult::Parent { child } => Ok(Child::from_pid(child)),
        ForkResult::Child => {
            // Nobody may open /proc/PID/exe of the engine (see setup::not_dumpable).
            crate::setup::not_dumpable();
            reset_signals();
            let code = match enter(&files, hooks).and_then(|()| set_up(spec, hooks)) {
                Ok(()) => born_inside(spec, hooks),
                Err(e) => {
                    eprintln!("container: exec: {e}");
                    EXIT_SETUP_FAILED
                }
            };
            std::process::exit(code);
        }
    }
}

/// In the first child: the engine's hook (e.g. join the cgroup), then setns(2) into each.
fn enter(files: &[(File, Namespace)], hooks: &dyn Hooks) -> Result<()> {
    hooks.before_join().map_err(Error::Hook)?;
    for (file, ns) in files {
        setns(file, ns.clone_flag())
            .map_err(crate::error::sys(format!("setns({})", ns.proc_name())))?;
    }
    Ok(())
}

/// Still in the first child, now set up and confined: start the command as a process born in
/// the container's PID namespace, wait for it, and return its exit code. setns(2) into a PID
/// namespace moves only this process's *children* in; this one stays outside, unseen from the
/// container. Through an engine's dmz ([`Hooks::exec_through`]) this process becomes the sealed
/// dmz, which does the fork, the wait and the exec, so the only process born inside runs the
/// dmz's code and then the command, never the engine's binary; otherwise this process forks it, and passes signals
/// on as an init does ([`crate::init::supervise`]).
fn born_inside(spec: &JoinSpec, hooks: &dyn Hooks) -> i32 {
    if let Some(dmz) = hooks.exec_through() {
        // The dmz waits for these, and passes them on to the command.
        if !crate::init::block_init_signals() {
            return EXIT_SETUP_FAILED;
        }
        return exec::exec_through_or_report(&spec.args, &spec.env, exec::Through::DmzInit(dmz));
    }
    crate::init::supervise(None, || {
        crate::console::take_free_terminal();
        exec::exec_or_report(&spec.args, &spec.env)
    })
}

/// The first child, in the container's namespaces: stdio, terminal, working directory, user,
/// confinement — all inherited by the process born inside.
fn set_up(spec: &JoinSpec, hooks: &dyn Hooks) -> Result<()> {
    if let Some(fds) = spec.stdio {
        dup_onto_stdio(fds)?;
    }
    if let Some(console) = spec.console {
        // A session of its own, away from the host's job control, and a pty from the
        // container's devpts on stdio; the process born inside takes it as its terminal.
        nix::unistd::setsid().map_err(crate::error::sys("setsid(2)"))?;
        crate::console::put_inside_on_stdio(console, spec.uid)?;
    }
    enter_working_dir(&spec.cwd, false)?;
    let in_userns = spec.namespaces.contains(&Namespace::User);
    switch_user(spec.uid, spec.gid, in_userns, hooks)?;
    hooks.confine().map_err(Error::Hook)
}
