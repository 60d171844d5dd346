//! `exec`: a new process inside a running container. There is no "container" object in the
//! kernel to ask for one — only the namespaces and the cgroup of the container's processes —
//! so we join them: setns(2) with the descriptors of `/proc/PID/ns/*`, and a write of our pid
//! to the cgroup's `cgroup.procs`. Joining a PID namespace only affects children, hence the
//! second fork(2): the grandchild is the one born inside.
//!
//! The CLI forks once so that it never changes its own namespaces (setns(2) of a mount
//! namespace changes the caller's root directory); it only waits.

use crate::mechanisms::console::{self, ConsoleSocket};
use crate::mechanisms::{cgroup, runtime, security};
use crate::model::container::Container;
use crate::{Error, Result};
use nix::sched::{CloneFlags, setns};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};
use std::os::fd::AsFd;
use std::path::Path;

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
    /// `-t`: a pty of its own, made inside the container ([`crate::console`]).
    pub tty: bool,
    /// `-i`: keep stdin open — forward ours to the pty with `-t`, or let the process read it.
    /// Without `-i` its stdin is `/dev/null`, as in Docker.
    pub interactive: bool,
}

/// The namespaces to join, in an order that works: the user-visible ones first, the mount
/// namespace late (after it, `/proc` paths are the container's), PID last of all.
const JOIN_ORDER: [(&str, CloneFlags); 6] = [
    ("cgroup", CloneFlags::CLONE_NEWCGROUP),
    ("ipc", CloneFlags::CLONE_NEWIPC),
    ("uts", CloneFlags::CLONE_NEWUTS),
    ("net", CloneFlags::CLONE_NEWNET),
    ("mnt", CloneFlags::CLONE_NEWNS),
    ("pid", CloneFlags::CLONE_NEWPID),
];

/// Runs `opts.args` in the running container and returns its exit code.
pub fn exec(record: &Container, opts: &ExecOptions) -> Result<i32> {
    if !record.state.running || record.state.paused {
        return Err(Error::WrongState {
            id: record.short_id().into(),
            state: record.state.status.clone(),
            hint: "exec needs a running (not paused) container: start or unpause it",
        });
    }
    let pid = record.state.pid;
    // Open every namespace file now, while /proc is still the host's.
    let mut namespaces = Vec::new();
    for (name, flag) in JOIN_ORDER {
        if name == "net" && record.host_config.network_mode == "host" {
            continue;
        }
        let path = format!("/proc/{pid}/ns/{name}");
        let file = std::fs::File::open(&path).map_err(Error::io("open", &path))?;
        namespaces.push((file, flag));
    }
    let cgroup = cgroup::open(record);
    let caps = security::capability_set(
        &record.host_config.cap_add,
        &record.host_config.cap_drop,
        record.host_config.privileged,
    )?;
    // Without -i (and no pty), the process reads /dev/null, not whatever our stdin is. Opened
    // now, from the host's /dev, so it works even if the image has no /dev/null of its own.
    let null_stdin = (!opts.interactive && !opts.tty)
        .then(|| std::fs::File::open("/dev/null").map_err(Error::io("open", "/dev/null")))
        .transpose()?;
    let mut console = opts.tty.then(ConsoleSocket::new).transpose()?;
    let size = console::Size::of_or_default(std::io::stdin().as_fd());
    let inside = console.as_ref().map(|socket| runtime::Console {
        socket: socket.container_end(),
        size,
    });
    // SAFETY: the CLI is single-threaded, so the child may do anything after fork(2).
    match unsafe { fork() }.map_err(Error::sys("fork(2)"))? {
        ForkResult::Parent { child } => loop {
            if let Some(mut socket) = console.take() {
                socket.close_container_end();
                if let Some(master) = socket.receive_master()? {
                    crate::mechanisms::relay::relay(master, child, opts.interactive)?;
                }
            }
            match waitpid(child, None) {
                Ok(status) => {
                    if let Some(code) = namespaces::process::exit_code(status) {
                        return Ok(code);
                    }
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(Error::sys("waitpid(2)")(e)),
            }
        },
        ForkResult::Child => {
            if let Some(null) = &null_stdin {
                // dup2(2) onto descriptor 0: the process born inside inherits it.
                if let Err(e) = nix::unistd::dup2_stdin(null) {
                    eprintln!("capstone: exec: dup2(2) of /dev/null onto stdin: {e}");
                    std::process::exit(namespaces::container::EXIT_SETUP_FAILED);
                }
            }
            let code = match join(record, &namespaces, cgroup.as_deref()) {
                Ok(()) => run_inside(record, opts, &caps, inside),
                Err(e) => {
                    eprintln!("capstone: exec: {e}");
                    namespaces::container::EXIT_SETUP_FAILED
                }
            };
            std::process::exit(code);
        }
    }
}

/// In the first child: into the cgroup, then into each namespace.
fn join(
    _record: &Container,
    namespaces: &[(std::fs::File, CloneFlags)],
    cgroup: Option<&dyn cgroups::Cgroup>,
) -> Result<()> {
    if let Some(cg) = cgroup {
        cg.add_process(std::process::id() as i32)?;
    }
    for (file, flag) in namespaces {
        setns(file, *flag).map_err(Error::sys(format!("setns({flag:?})")))?;
    }
    Ok(())
}

/// Forks the process that is born in the container's PID namespace, sets its user, working
/// directory and capabilities as `run` does, and execs; the first child waits for it.
fn run_inside(
    record: &Container,
    opts: &ExecOptions,
    caps: &caps::CapsHashSet,
    console: Option<runtime::Console>,
) -> i32 {
    // SAFETY: still single-threaded.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { child }) => loop {
            match waitpid(child, None) {
                Ok(status) => {
                    if let Some(code) = namespaces::process::exit_code(status) {
                        return code;
                    }
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return namespaces::container::EXIT_SETUP_FAILED,
            }
        },
        Ok(ForkResult::Child) => match prepare(record, opts, caps, console) {
            Ok(env) => runtime::exec(&opts.args, &env),
            Err(e) => {
                eprintln!("capstone: exec: {e}");
                namespaces::container::EXIT_SETUP_FAILED
            }
        },
        Err(_) => namespaces::container::EXIT_SETUP_FAILED,
    }
}

fn prepare(
    record: &Container,
    opts: &ExecOptions,
    caps: &caps::CapsHashSet,
    console: Option<runtime::Console>,
) -> Result<Vec<String>> {
    // SAFETY: restoring the default disposition touches no memory.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
    };
    let (uid, gid) = match &opts.user {
        // Looked up in the container's own /etc/passwd: we are inside its mount namespace.
        Some(user) => images::runconfig::resolve_user(Path::new("/"), user)?,
        None => (record.config.uid, record.config.gid),
    };
    if let Some(console) = console {
        // A session of its own, with a pty from the container's devpts as its terminal.
        nix::unistd::setsid().map_err(Error::sys("setsid(2)"))?;
        let slave = console::open_inside(console.socket, console.size, uid)?;
        console::attach_terminal(slave)?;
    }
    let dir = opts
        .workdir
        .clone()
        .unwrap_or_else(|| record.config.working_dir.clone());
    nix::unistd::chdir(dir.as_str()).map_err(Error::sys(format!("chdir({dir})")))?;
    security::limit_bounding_set(caps)?;
    nix::unistd::setgroups(&[]).map_err(Error::sys("setgroups(2)"))?;
    nix::unistd::setgid(gid.into()).map_err(Error::sys("setgid(2)"))?;
    nix::unistd::setuid(uid.into()).map_err(Error::sys("setuid(2)"))?;
    security::set_process_capabilities(caps, uid == 0)?;
    security::close_engine_fds_on_exec()?;
    let mut env = record.config.env.clone();
    if console.is_some() && !env.iter().any(|e| e.starts_with("TERM=")) {
        env.push("TERM=xterm".into()); // what Docker sets for `exec -t`
    }
    for pair in &opts.env {
        let key = pair.split('=').next().unwrap_or_default();
        env.retain(|e| e.split('=').next() != Some(key));
        env.push(pair.clone());
    }
    Ok(env)
}
