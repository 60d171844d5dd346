//! `exec`: a new process in a running container, with lesson 01's `join` (setns(2) into the
//! namespaces of its first process, then fork(2) so the command is born in its PID
//! namespace), first moved into the container's cgroup, and confined by lesson 07 like the
//! container's own process. The process comes from `--process FILE` (the runtime spec's
//! `process` object, as containerd's shim passes it) or from the command line.

use super::Status;
use crate::mechanisms::oci::{bundle, cgroup, process};
use anyhow::{Context, Result, bail};
use confinement::Confinement;
use namespaces::console::{Console, Size};
use namespaces::hooks::{HookResult, Hooks};
use namespaces::join::{JoinSpec, join};
use nix::unistd::Pid;
use oci_spec::runtime::Process;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// What `exec` is told.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// The container's id.
    pub id: String,
    /// `--process FILE`: the whole process as JSON.
    pub process: Option<PathBuf>,
    /// Or the command and its arguments.
    pub args: Vec<String>,
    /// Return once it started, instead of waiting.
    pub detach: bool,
    /// Where to write its pid.
    pub pid_file: Option<PathBuf>,
    /// Give it a pty (sent over `console_socket`).
    pub tty: bool,
    /// The unix socket to send the pty master to.
    pub console_socket: Option<PathBuf>,
    /// Its working directory.
    pub cwd: Option<PathBuf>,
    /// More environment, `NAME=value`.
    pub env: Vec<String>,
    /// `uid[:gid]`.
    pub user: Option<(u32, Option<u32>)>,
}

/// Starts the process; returns 0 at once with `detach`, else its exit code.
pub fn exec(root: &Path, options: &ExecOptions) -> Result<i32> {
    let (record, state) = super::load(root, &options.id)?;
    match state.status {
        Status::Running | Status::Created => {}
        Status::Paused => bail!("cannot exec in a paused container"),
        Status::Stopped => bail!("cannot exec in a stopped container"),
    }
    let bundle = bundle::load(&record.bundle)?;
    let process = process_for(&bundle.spec, options)?;
    let confinement = process::confinement(&process, &bundle.spec)?;
    let mut spec = JoinSpec::new(
        Pid::from_raw(record.pid),
        process.args().clone().unwrap_or_default(),
    );
    spec.env = process.env().clone().unwrap_or_default();
    spec.cwd = process.cwd().clone();
    spec.uid = process.user().uid();
    spec.gid = process.user().gid();
    let socket = match (process.terminal().unwrap_or(false), &options.console_socket) {
        (false, _) => None,
        (true, None) => bail!("a terminal needs --console-socket to receive the pty"),
        (true, Some(path)) => Some(
            UnixStream::connect(path)
                .with_context(|| format!("connect to console socket {}", path.display()))?,
        ),
    };
    spec.console = socket.as_ref().map(|s| Console {
        socket: s.as_raw_fd(),
        size: Size::DEFAULT,
    });
    let hooks = ExecHooks {
        cgroup: cgroup::open(&record.cgroup),
        confinement,
    };
    let child = join(&spec, &hooks)?;
    drop(socket);
    if let Some(path) = &options.pid_file {
        images::store::write_atomic(path, child.pid().to_string().as_bytes())
            .with_context(|| format!("write pid file {}", path.display()))?;
    }
    if options.detach {
        return Ok(0);
    }
    Ok(child.wait()?)
}

/// The process to run: `--process FILE`, or the container's own with the command line's
/// command, working directory, environment and user.
fn process_for(spec: &oci_spec::runtime::Spec, options: &ExecOptions) -> Result<Process> {
    if let Some(path) = &options.process {
        let text = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
        let de = &mut serde_json::Deserializer::from_slice(&text);
        return serde_path_to_error::deserialize(de).map_err(|e| {
            anyhow::anyhow!("{}: field `{}`: {}", path.display(), e.path(), e.inner())
        });
    }
    if options.args.is_empty() {
        bail!("exec: no command given: pass --process FILE or the command after the id");
    }
    let mut process = process::process_of(spec)?.clone();
    process.set_args(Some(options.args.clone()));
    process.set_terminal(Some(options.tty));
    if let Some(cwd) = &options.cwd {
        process.set_cwd(cwd.clone());
    }
    let mut env = process.env().clone().unwrap_or_default();
    env.extend(options.env.iter().cloned());
    process.set_env(Some(env));
    if let Some((uid, gid)) = options.user {
        let mut user = process.user().clone();
        user.set_uid(uid);
        user.set_gid(gid.unwrap_or(0));
        process.set_user(user);
    }
    Ok(process)
}

/// `exec`'s additions to lesson 01's join: the cgroup first, lesson 07's confinement last.
struct ExecHooks {
    cgroup: Option<Box<dyn cgroups::Cgroup>>,
    confinement: Confinement,
}

impl Hooks for ExecHooks {
    fn before_join(&self) -> HookResult {
        if let Some(group) = &self.cgroup {
            group.add_process(std::process::id() as i32)?;
        }
        Ok(())
    }

    fn switch_user(&self, _uid: u32, _gid: u32, _in_userns: bool) -> HookResult {
        self.confinement.apply_in_child()?;
        Ok(())
    }

    /// Lesson 07's sealed dmz (made by `process::confinement` before the join) is the process
    /// born inside and execs the command: a `#!/proc/self/exe` command runs the dmz, never this
    /// runtime's binary (CVE-2019-5736).
    fn exec_through(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        confinement::dmz::loaded()
    }
}
