//! Everything together: a mini container. One clone(2) into new namespaces, a held-back start
//! (like `runc create` then `runc start`), then inside: private mounts, `/proc`, read-only
//! `/sys`, a minimal `/dev`, pivot_root(2), a hostname, and execve(2) of the command as pid 1.
//!
//! [`create`] is all a student needs. An engine adds its own steps through [`create_with`] and
//! a [`Hooks`] value (an overlay root, volumes, confinement), and may set the spec's optional
//! extras: [`ContainerSpec::stdio`], [`ContainerSpec::console`], [`ContainerSpec::init`].

use crate::console::Console;
use crate::hooks::{Hooks, NoHooks};
use crate::namespace::Namespace;
use crate::process::{Child, Gate, spawn};
use crate::userns::{IdMap, write_id_maps};
use crate::{Error, Result, exec, mounts, setup};
use nix::unistd::Pid;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

pub use crate::exec::{DEFAULT_PATH, EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND};

/// Exit code when the container could not be set up (Docker uses 125 for its own failures).
pub const EXIT_SETUP_FAILED: i32 = 125;

/// What to run, and in which world.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    /// The directory that becomes `/` (pivot_root(2)).
    pub rootfs: PathBuf,
    /// The command and its arguments; the first is looked up in the container's `PATH`.
    pub args: Vec<String>,
    /// The environment, as `NAME=value` strings.
    pub env: Vec<String>,
    /// The hostname inside (sethostname(2) in the new UTS namespace).
    pub hostname: String,
    /// The working directory inside (created if missing, as Docker does).
    pub cwd: PathBuf,
    /// Which new namespaces to create (clone(2) flags).
    pub namespaces: Vec<Namespace>,
    /// Remount the root read-only (a writable `/tmp` tmpfs is mounted either way, unless
    /// [`ContainerSpec::tmpfs_on_tmp`] is off).
    pub readonly_rootfs: bool,
    /// Mount a fresh tmpfs(5) on `/tmp` (the default). A builder turns it off so that what a
    /// build step writes to `/tmp` lands in the root filesystem, as with `docker build`.
    pub tmpfs_on_tmp: bool,
    /// User id to run the command as, inside (setuid(2)).
    pub uid: u32,
    /// Group id to run the command as, inside (setgid(2)).
    pub gid: u32,
    /// With [`Namespace::User`]: how ids inside map to ids outside.
    pub id_map: Option<IdMap>,
    /// Descriptors that become the container's stdin, stdout and stderr (dup2(2)), in a session
    /// of its own (setsid(2)) so the host terminal's job control does not reach it. `None` (the
    /// default): it shares ours, as a step run from a terminal wants.
    pub stdio: Option<[RawFd; 3]>,
    /// A terminal made inside the container ([`crate::console`]) replaces fds 0-2, in a
    /// session of its own.
    pub console: Option<Console>,
    /// Run a tiny init as pid 1, with the command as its child ([`crate::init`]).
    pub init: bool,
    /// Enter the new cgroup namespace ([`Namespace::Cgroup`]) only once released instead of at
    /// clone(2): then the cgroup the parent moved the held-back process into becomes its root
    /// (`0::/` in `/proc/self/cgroup`), as with runc. Off by default: a student's container
    /// shows the cgroup it sits in.
    pub cgroupns_after_release: bool,
    /// Make the root filesystem (mounts, [`Hooks::prepare_root`], [`Hooks::before_pivot`],
    /// pivot_root(2)) *before* waiting at the gate, and hold back only what comes after: the
    /// cgroup namespace, [`Hooks::after_pivot`], hostname, user switch, confinement and the
    /// command. The set-up then runs while the parent works from outside — on cgroup v1,
    /// moving a process into a cgroup sleeps for an RCU grace period, milliseconds the set-up
    /// can use. Off by default: a student's container does nothing before it is released.
    /// Ignored with a user namespace (its id maps are written after clone(2), and mounting
    /// needs them).
    ///
    /// A process whose early set-up fails says why on its stderr and exits with
    /// [`EXIT_SETUP_FAILED`]; [`Created::start`] then returns as for a process that has
    /// exec'd, and [`Running::wait`] gives that code.
    pub set_up_before_release: bool,
}

impl ContainerSpec {
    /// A spec with the usual choices: every namespace but the user namespace, hostname
    /// `container`, working directory `/`, a read-only root (the lesson's root filesystem is
    /// shared by every run; lesson 03 gives each container a writable layer of its own).
    pub fn new(rootfs: impl Into<PathBuf>, args: Vec<String>) -> ContainerSpec {
        ContainerSpec {
            rootfs: rootfs.into(),
            args,
            env: vec![
                format!("PATH={DEFAULT_PATH}"),
                "HOME=/root".into(),
                "TERM=xterm".into(),
            ],
            hostname: "container".into(),
            cwd: PathBuf::from("/"),
            namespaces: vec![
                Namespace::Uts,
                Namespace::Pid,
                Namespace::Mount,
                Namespace::Ipc,
                Namespace::Net,
                Namespace::Cgroup,
            ],
            readonly_rootfs: true,
            tmpfs_on_tmp: true,
            uid: 0,
            gid: 0,
            id_map: None,
            stdio: None,
            console: None,
            init: false,
            cgroupns_after_release: false,
            set_up_before_release: false,
        }
    }

    fn has(&self, ns: Namespace) -> bool {
        self.namespaces.contains(&ns)
    }

    /// Whether the root filesystem is made before the release (see
    /// [`ContainerSpec::set_up_before_release`]).
    fn sets_up_early(&self) -> bool {
        self.set_up_before_release && self.id_map.is_none()
    }

    /// Checks what can be checked before cloning, so mistakes give a clear error.
    fn validate(&self) -> Result<()> {
        exec::check_strings(&self.args, &self.env)?;
        if !self.has(Namespace::Mount) {
            return Err(Error::Invalid(
                "a container needs a mount namespace to pivot_root".into(),
            ));
        }
        if self.has(Namespace::User) != self.id_map.is_some() {
            return Err(Error::Invalid(
                "a user namespace needs an id map, and only it".into(),
            ));
        }
        Ok(())
    }

    /// The root must already hold a root filesystem (when no hook mounts one).
    fn validate_rootfs(&self) -> Result<()> {
        if !self.rootfs.join("bin").is_dir() && !self.rootfs.join("usr/bin").is_dir() {
            return Err(Error::Rootfs {
                path: self.rootfs.clone(),
                why: "not a root filesystem (no bin/ directory): pass a directory holding one"
                    .into(),
            });
        }
        Ok(())
    }
}

/// A container whose process exists, inside its namespaces, but is held back before setup
/// (or, with [`ContainerSpec::set_up_before_release`], before all but its root filesystem).
#[derive(Debug)]
pub struct Created {
    child: Child,
    gate: Gate,
    exec_seen: ExecSeen,
}

/// A container whose command has been released.
#[derive(Debug)]
pub struct Running {
    child: Child,
}

/// The reading end of a close-on-exec pipe(2) whose write end only the container's process
/// holds: it closes when that process execs its command (or dies), so reading end-of-file
/// means "past execve(2)".
#[derive(Debug)]
struct ExecSeen {
    read_end: OwnedFd,
}

/// Clones the container's first process into new namespaces and holds it back. Between
/// `create` and [`Created::start`] the caller may act on it from outside: its pid is known,
/// so it can be put into a cgroup or given a network interface.
pub fn create(spec: &ContainerSpec) -> Result<Created> {
    spec.validate_rootfs()?;
    create_with(spec, &NoHooks)
}

/// [`create`] with an engine's [`Hooks`], run by the container's process at their places in
/// `set_up_root` and `set_up_process`. The root is not checked beforehand: a hook may mount it, and an image may have
/// no `/bin` at all.
pub fn create_with(spec: &ContainerSpec, hooks: &dyn Hooks) -> Result<Created> {
    crate::privilege::require_root("creating a container")?;
    spec.validate()?;
    let gate = Gate::new()?;
    let (read_end, write_end) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(crate::error::sys("pipe2(2)"))?;
    let exec_seen_fd = write_end.as_raw_fd();
    // With `cgroupns_after_release`, the cgroup namespace is entered from inside (`set_up`).
    let at_clone: Vec<Namespace> = spec
        .namespaces
        .iter()
        .copied()
        .filter(|ns| !(*ns == Namespace::Cgroup && spec.cgroupns_after_release))
        .collect();
    let child = spawn(&at_clone, || {
        setup::not_dumpable();
        setup::reset_signals();
        inside(spec, hooks, exec_seen_fd, &gate)
    })?;
    // Only the child may hold the write end: a container cloned later from this process would
    // inherit our copy and keep this one's pipe open past its execve(2).
    drop(write_end);
    if let Some(map) = spec.id_map {
        write_id_maps(child.pid(), map, map)?;
    }
    Ok(Created {
        child,
        gate,
        exec_seen: ExecSeen { read_end },
    })
}

impl Created {
    /// The container's first process, as the host sees it.
    pub fn pid(&self) -> Pid {
        self.child.pid()
    }

    /// Releases the held-back process and returns once it has exec'd its command (or died):
    /// a signal sent after this reaches the command, not the set-up code before it.
    pub fn start(self) -> Result<Running> {
        // (A process whose early set-up failed has exited: the byte stays in the pipe, which
        // we hold open too, and the pipe below is at end-of-file.)
        self.gate.open()?;
        let mut byte = [0u8; 1];
        while let Err(nix::Error::EINTR) = nix::unistd::read(&self.exec_seen.read_end, &mut byte) {}
        Ok(Running { child: self.child })
    }
}

impl Running {
    /// The container's first process, as the host sees it.
    pub fn pid(&self) -> Pid {
        self.child.pid()
    }

    /// Waits for the container's pid 1 to end; returns its exit code (128+N if killed by N).
    /// When pid 1 of a PID namespace dies, the kernel kills every other process inside.
    pub fn wait(self) -> Result<i32> {
        self.child.wait()
    }
}

/// Creates, starts and waits: runs the command in a container and returns its exit code.
pub fn run(spec: &ContainerSpec) -> Result<i32> {
    create(spec)?.start()?.wait()
}

/// The container's side, run by the cloned child: wait for the release (after the root
/// filesystem is made, with [`ContainerSpec::set_up_before_release`]), set up, then become
/// the command. Returns an exit code only when something failed, after saying what on stderr.
fn inside(spec: &ContainerSpec, hooks: &dyn Hooks, exec_seen: RawFd, gate: &Gate) -> i32 {
    let early = spec.sets_up_early();
    // The parent went away (the gate closed unopened): do not start half-configured.
    if !early && !gate.wait() {
        return EXIT_SETUP_FAILED;
    }
    if let Err(e) = set_up_root(spec, hooks) {
        eprintln!("container: cannot start: {e}");
        return EXIT_SETUP_FAILED;
    }
    if early && !gate.wait() {
        return EXIT_SETUP_FAILED;
    }
    if let Err(e) = set_up_process(spec, hooks) {
        eprintln!("container: cannot start: {e}");
        return EXIT_SETUP_FAILED;
    }
    match (spec.init, hooks.exec_through()) {
        (true, None) => {
            crate::init::run_as_init(exec_seen, || exec::exec_or_report(&spec.args, &spec.env))
        }
        (true, Some(dmz)) => {
            // The dmz is the init: it waits for the signals blocked here (the mask survives
            // execve(2)); our "past execve" pipe closes as the dmz starts.
            if !crate::init::block_init_signals() {
                return EXIT_SETUP_FAILED;
            }
            exec::exec_through_or_report(&spec.args, &spec.env, exec::Through::DmzInit(dmz))
        }
        (false, Some(dmz)) => {
            // Let the pipe outlive the dmz's execve(2): the dmz marks it close-on-exec again,
            // so it closes when the *command* starts, as without a dmz.
            let _ = nix::fcntl::fcntl(
                // SAFETY: our own descriptor, open until this process execs or exits.
                unsafe { std::os::fd::BorrowedFd::borrow_raw(exec_seen) },
                nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
            );
            exec::exec_through_or_report(&spec.args, &spec.env, exec::Through::Dmz(dmz))
        }
        (false, None) => exec::exec_or_report(&spec.args, &spec.env),
    }
}

/// Stdio, mounts, pivot_root, hostname, working directory and user — in that order, because
/// each step needs the one before (e.g. `/dev`'s devices are bound from the host before
/// pivoting; the user switch gives up the right to mount). The `hooks` calls are an engine's
/// additions; for a student's container they do nothing. First the root filesystem…
// ANCHOR: set_up
fn set_up_root(spec: &ContainerSpec, hooks: &dyn Hooks) -> Result<()> {
    setup::take_stdio(spec.stdio, spec.console.is_some())?;
    let root = &spec.rootfs;
    mounts::make_private()?;
    hooks.prepare_root(root).map_err(Error::Hook)?;
    // Mount the container's special filesystems inside the new root *before* pivoting, while
    // the host's /dev is still reachable for the device bind mounts. pivot_into's recursive
    // bind carries them along.
    mounts::mount_proc(&mounts::mount_point(root, "proc")?)?;
    mounts::mount_sysfs_readonly(&mounts::mount_point(root, "sys")?)?;
    mounts::mount_point(root, "dev")?;
    mounts::mount_minimal_dev(root)?;
    if spec.tmpfs_on_tmp {
        mounts::mount_tmpfs(&mounts::mount_point(root, "tmp")?, "mode=1777")?;
    }
    hooks.before_pivot(root).map_err(Error::Hook)?;
    mounts::pivot_into(root)?;
    mounts::remount_root(spec.readonly_rootfs)
}

/// …then the process itself.
fn set_up_process(spec: &ContainerSpec, hooks: &dyn Hooks) -> Result<()> {
    if spec.has(Namespace::Cgroup) && spec.cgroupns_after_release {
        // Now that the parent has put us in our cgroup, that cgroup becomes our cgroup root.
        nix::sched::unshare(Namespace::Cgroup.clone_flag())
            .map_err(crate::error::sys("unshare(CLONE_NEWCGROUP)"))?;
    }
    hooks.after_pivot().map_err(Error::Hook)?;
    if spec.has(Namespace::Uts) {
        // exercise 01.2 hostname: begin
        nix::unistd::sethostname(&spec.hostname).map_err(crate::error::sys("sethostname(2)"))?;
        // exercise 01.2: end
    }
    if let Some(console) = spec.console {
        // The pty comes from the container's own devpts, now mounted at /dev/pts.
        crate::console::attach_inside(console, spec.uid)?;
    }
    setup::enter_working_dir(&spec.cwd, true)?;
    setup::switch_user(spec.uid, spec.gid, spec.id_map.is_some(), hooks)?;
    hooks.confine().map_err(Error::Hook)
}
// ANCHOR_END: set_up
