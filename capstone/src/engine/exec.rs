//! `exec`: a new process inside a running container, with lesson 01's [`join`]. There is no
//! "container" object in the kernel to ask for one — only the namespaces and the cgroup of the
//! container's processes — so we join them: the first child writes its pid to the cgroup's
//! `cgroup.procs` (a hook) and setns(2)s into each `/proc/PID/ns/*`; its child, born in the
//! container's PID namespace, takes its terminal, working directory, user and capabilities as
//! `run`'s process does, and execs. The CLI itself never changes namespaces; it only waits.

use crate::mechanisms::runtime::ConfineHooks;
use crate::mechanisms::{cgroup, security};
use crate::model::container::Container;
use crate::store::Paths;
use crate::{Error, Result};
use namespaces::Namespace;
use namespaces::console::ConsoleSocket;
use namespaces::console::{Console, Size};
use namespaces::hooks::{HookResult, Hooks};
use namespaces::join::{JoinSpec, join};
use nix::unistd::Pid;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

/// What to run, and how.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// argv.
    pub args: Vec<String>,
    /// Extra `KEY=value` on top of the container's environment.
    pub env: Vec<String>,
    /// `-u`; default: the container's user.
    pub user: Option<String>,
    /// `-w`; default: the container's working directory.
    pub workdir: Option<String>,
    /// `-t`: a pty of its own, made inside the container (lesson 01's console).
    pub tty: bool,
    /// `-i`: keep stdin open — forward ours to the pty with `-t`, or let the process read it.
    /// Without `-i` its stdin is `/dev/null`, as in Docker.
    pub interactive: bool,
}

/// Runs `opts.args` in the running container and returns its exit code.
pub fn exec(paths: &Paths, record: &Container, opts: &ExecOptions) -> Result<i32> {
    exec_with(paths, record, opts, None, None)
}

/// Like [`exec`], with the process's stdin, stdout and stderr given (pipes a front end reads,
/// as the Engine API daemon's `exec start` does) instead of ours, and no terminal. Our copies
/// of the descriptors are closed once the process has them, so a reader of its output sees
/// end-of-file when the process (and whatever inherited them) is gone.
pub fn exec_piped(
    paths: &Paths,
    record: &Container,
    opts: &ExecOptions,
    stdio: [std::os::fd::OwnedFd; 3],
) -> Result<i32> {
    let opts = ExecOptions {
        tty: false,
        interactive: true, // stdin is what the caller gave, not /dev/null
        ..opts.clone()
    };
    exec_with(paths, record, &opts, Some(stdio), None)
}

/// Like [`exec`], on a terminal of its own (`-t`) whose pty master is handed to `serve` (the
/// Engine API daemon copies it to and from a hijacked connection, and resizes it) instead of
/// being relayed to our own terminal; returns the exit code once the process is gone.
pub fn exec_on_pty(
    paths: &Paths,
    record: &Container,
    opts: &ExecOptions,
    serve: &mut dyn FnMut(std::os::fd::OwnedFd),
) -> Result<i32> {
    let opts = ExecOptions {
        tty: true,
        ..opts.clone()
    };
    exec_with(paths, record, &opts, None, Some(serve))
}

fn exec_with(
    paths: &Paths,
    record: &Container,
    opts: &ExecOptions,
    given: Option<[std::os::fd::OwnedFd; 3]>,
    serve_master: Option<&mut dyn FnMut(std::os::fd::OwnedFd)>,
) -> Result<i32> {
    if !record.state.running || record.state.paused {
        return Err(Error::WrongState {
            id: record.short_id().into(),
            state: record.state.status.clone(),
            hint: "exec needs a running (not paused) container: start or unpause it",
        });
    }
    let pid = record.state.pid;
    let (uid, gid) = match &opts.user {
        // Looked up in the container's own /etc/passwd, through its root as /proc shows it
        // (openat2(2) RESOLVE_IN_ROOT: a symlink in the image cannot lead to the host's).
        Some(user) => {
            images::runconfig::resolve_user(Path::new(&format!("/proc/{pid}/root")), user)?
        }
        None => (record.config.uid, record.config.gid),
    };
    // The same confinement as the container's first process (never less): capabilities,
    // seccomp, no_new_privs. Its masked paths are mounted already, in the namespace we join.
    let mut confinement = security::confinement_for(
        &record.host_config,
        &paths.container_dir(&record.id),
        &security::filter_cache(paths),
        uid,
        gid,
    )?;
    confinement.masked_paths.clear();
    confinement.readonly_paths.clear();
    let mut spec = JoinSpec::new(Pid::from_raw(pid), opts.args.clone());
    spec.namespaces = vec![
        Namespace::Cgroup,
        Namespace::Ipc,
        Namespace::Uts,
        Namespace::Net, // left alone with `--network host`: it is ours already
        Namespace::Mount,
        Namespace::Pid,
    ];
    spec.env = environment(record, opts);
    spec.cwd = PathBuf::from(opts.workdir.as_ref().unwrap_or(&record.config.working_dir));
    (spec.uid, spec.gid) = (uid, gid);
    // Without -i (and no pty), the process reads /dev/null, not whatever our stdin is. Opened
    // now, from the host's /dev, so it works even if the image has no /dev/null of its own.
    let null_stdin = (!opts.interactive && !opts.tty)
        .then(|| std::fs::File::open("/dev/null").map_err(Error::io("open", "/dev/null")))
        .transpose()?;
    spec.stdio = null_stdin.as_ref().map(|null| [null.as_raw_fd(), 1, 2]);
    if let Some(fds) = &given {
        spec.stdio = Some(fds.each_ref().map(AsRawFd::as_raw_fd));
    }
    let mut console = opts.tty.then(ConsoleSocket::new).transpose()?;
    spec.console = console.as_ref().map(|socket| Console {
        socket: socket.container_end(),
        size: Size::of_or_default(std::io::stdin().as_fd()),
    });
    let hooks = ExecHooks {
        cgroup: cgroup::open(record),
        run_flags: &record.host_config.run_flags,
        confinement: ConfineHooks(&confinement),
    };
    let child = join(&spec, &hooks)?;
    drop(given);
    if let Some(mut socket) = console.take() {
        socket.close_container_end();
        match (socket.receive_master()?, serve_master) {
            (Some(master), Some(serve)) => serve(master),
            (Some(master), None) => {
                crate::mechanisms::relay::relay(master, child.pid(), opts.interactive)?
            }
            (None, _) => {}
        }
    }
    Ok(child.wait()?)
}

/// The container's environment, `TERM` for a terminal (as Docker sets for `exec -t`), and
/// `-e` on top.
fn environment(record: &Container, opts: &ExecOptions) -> Vec<String> {
    let mut env = record.config.env.clone();
    if opts.tty && !env.iter().any(|e| e.starts_with("TERM=")) {
        env.push("TERM=xterm".into());
    }
    for pair in &opts.env {
        let key = pair.split('=').next().unwrap_or_default();
        env.retain(|e| e.split('=').next() != Some(key));
        env.push(pair.clone());
    }
    env
}

/// The engine's additions to lesson 01's join: the cgroup, and the confinement.
struct ExecHooks<'a> {
    cgroup: Option<Box<dyn cgroups::Cgroup>>,
    run_flags: &'a crate::model::run_flags::RunFlags,
    confinement: ConfineHooks<'a>,
}

impl Hooks for ExecHooks<'_> {
    /// Into the container's cgroup before joining its namespaces, so the command is born
    /// inside its limits (and its cgroup namespace shows that cgroup as `/`).
    fn before_join(&self) -> HookResult {
        if let Some(cg) = &self.cgroup {
            cg.add_process(std::process::id() as i32)?;
        }
        // `--ulimit`: the container's limits, as runc gives an exec'd process.
        crate::mechanisms::run_flags::set_ulimits(self.run_flags)
    }

    /// Lesson 07's confinement, which switches to the user itself.
    fn switch_user(&self, _uid: u32, _gid: u32, _in_userns: bool) -> HookResult {
        self.confinement.switch_user()
    }

    /// The command is exec'd by lesson 07's sealed dmz, as for `run`.
    fn exec_through(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.confinement.exec_through()
    }
}
