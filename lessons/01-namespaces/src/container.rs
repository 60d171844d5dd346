//! Everything together: a mini container. One clone(2) into new namespaces, a held-back start
//! (like `runc create` then `runc start`), then inside: private mounts, `/proc`, read-only
//! `/sys`, a minimal `/dev`, pivot_root(2), a hostname, and execve(2) of the command as pid 1.

use crate::mounts;
use crate::namespace::Namespace;
use crate::process::{Child, Gate, spawn};
use crate::userns::{IdMap, write_id_maps};
use crate::{Error, Result};
use nix::unistd::Pid;
use std::ffi::CString;
use std::path::{Path, PathBuf};

/// The `PATH` a container gets when its environment does not set one (Docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Exit code when the container could not be set up (Docker uses 125 for its own failures).
pub const EXIT_SETUP_FAILED: i32 = 125;
/// Exit code when the command exists but cannot be executed (as in sh(1) and Docker).
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit code when the command is not found in the container (as in sh(1) and Docker).
pub const EXIT_NOT_FOUND: i32 = 127;

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
    /// The working directory inside.
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
        }
    }

    fn has(&self, ns: Namespace) -> bool {
        self.namespaces.contains(&ns)
    }

    /// Checks what can be checked before cloning, so mistakes give a clear error.
    fn validate(&self) -> Result<()> {
        if self.args.is_empty() {
            return Err(Error::Invalid(
                "no command given: say what to run, e.g. `sh`".into(),
            ));
        }
        if !self.rootfs.join("bin").is_dir() && !self.rootfs.join("usr/bin").is_dir() {
            return Err(Error::Rootfs {
                path: self.rootfs.clone(),
                why: "not a root filesystem (no bin/ directory): pass a directory holding one"
                    .into(),
            });
        }
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
}

/// A container whose process exists, inside its namespaces, but is held back before setup.
#[derive(Debug)]
pub struct Created {
    child: Child,
    gate: Gate,
}

/// A container whose command has been released.
#[derive(Debug)]
pub struct Running {
    child: Child,
}

/// Clones the container's first process into new namespaces and holds it back. Between
/// `create` and [`Created::start`] the caller may act on it from outside: its pid is known,
/// so it can be put into a cgroup or given a network interface.
pub fn create(spec: &ContainerSpec) -> Result<Created> {
    crate::privilege::require_root("creating a container")?;
    spec.validate()?;
    let gate = Gate::new()?;
    let child = spawn(&spec.namespaces, || {
        if !gate.wait() {
            return EXIT_SETUP_FAILED; // the parent went away: do not start half-configured
        }
        inside(spec)
    })?;
    if let Some(map) = spec.id_map {
        write_id_maps(child.pid(), map, map)?;
    }
    Ok(Created { child, gate })
}

impl Created {
    /// The container's first process, as the host sees it.
    pub fn pid(&self) -> Pid {
        self.child.pid()
    }

    /// Releases the held-back process: it sets up its mounts and hostname and execs the command.
    pub fn start(self) -> Result<Running> {
        self.gate.open()?;
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

/// The container's side, run by the cloned child: set up, then become the command. Returns an
/// exit code only when something failed, after saying what on stderr.
fn inside(spec: &ContainerSpec) -> i32 {
    if let Err(e) = set_up(spec) {
        eprintln!("container: {e}");
        return EXIT_SETUP_FAILED;
    }
    let err = exec(spec);
    eprintln!("container: {}: {err}", spec.args[0]);
    match err {
        ExecError::NotFound => EXIT_NOT_FOUND,
        ExecError::Failed(_) => EXIT_CANNOT_EXECUTE,
    }
}

/// Mounts, pivot_root, hostname, user and working directory — in that order, because each step
/// needs the one before (e.g. `/dev`'s devices are bound from the host before pivoting).
// ANCHOR: set_up
fn set_up(spec: &ContainerSpec) -> Result<()> {
    let root = &spec.rootfs;
    mounts::make_private()?;
    // Mount the container's special filesystems inside the new root *before* pivoting, while
    // the host's /dev is still reachable for the device bind mounts. pivot_into's recursive
    // bind carries them along.
    mounts::mount_proc(&root.join("proc"))?;
    mounts::mount_sysfs_readonly(&root.join("sys"))?;
    mounts::mount_minimal_dev(root)?;
    if spec.tmpfs_on_tmp {
        mounts::mount_tmpfs(&root.join("tmp"), "mode=1777")?;
    }
    mounts::pivot_into(root)?;
    if spec.readonly_rootfs {
        mounts::remount_root_readonly()?;
    }
    if spec.has(Namespace::Uts) {
        nix::unistd::sethostname(&spec.hostname).map_err(crate::error::sys("sethostname(2)"))?;
    }
    nix::unistd::setgroups(&[]).ok(); // refused (harmlessly) in a user namespace with setgroups=deny
    nix::unistd::setgid(spec.gid.into()).map_err(crate::error::sys("setgid(2)"))?;
    nix::unistd::setuid(spec.uid.into()).map_err(crate::error::sys("setuid(2)"))?;
    nix::unistd::chdir(&spec.cwd).map_err(|e| {
        Error::Invalid(format!(
            "working directory {} inside the container: {e}",
            spec.cwd.display()
        ))
    })?;
    Ok(())
}
// ANCHOR_END: set_up

enum ExecError {
    NotFound,
    Failed(nix::Error),
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::NotFound => write!(f, "command not found in the container"),
            ExecError::Failed(e) => write!(f, "cannot execute: {e}"),
        }
    }
}

/// execve(2) the command, looked up in the container's own `PATH` (not the host's).
fn exec(spec: &ContainerSpec) -> ExecError {
    let to_c = |s: &str| CString::new(s).unwrap_or_default();
    let args: Vec<CString> = spec.args.iter().map(|a| to_c(a)).collect();
    let env: Vec<CString> = spec.env.iter().map(|e| to_c(e)).collect();
    let path = spec
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    let candidates: Vec<PathBuf> = if spec.args[0].contains('/') {
        vec![PathBuf::from(&spec.args[0])]
    } else {
        path.split(':')
            .map(|dir| Path::new(dir).join(&spec.args[0]))
            .collect()
    };
    let mut last = ExecError::NotFound;
    for candidate in candidates {
        if !candidate.exists() {
            continue;
        }
        let program = to_c(&candidate.to_string_lossy());
        // Only returns on failure; on success this process *is* the command now.
        let Err(e) = nix::unistd::execve(&program, &args, &env);
        last = ExecError::Failed(e);
    }
    last
}
