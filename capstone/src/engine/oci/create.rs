//! `create`, `start` and `run`: the heart of the OCI contract.
//!
//! `create` does everything but the command: it reads the bundle, makes the cgroup, clones
//! the container's process with lesson 01's `create_with` and the runtime's hooks, and
//! returns once that process is set up and waiting on the exec fifo
//! (`mechanisms::oci::hooks`). The process is not ours to wait for: when `create` exits it is
//! re-parented to the caller's subreaper (containerd's shim) or init. `start` (in
//! `engine::oci::start`) opens the fifo, and the process goes on to execve(2). `run` is both
//! at once, and waits.

use super::state_of;
use crate::mechanisms::oci::hooks::RuntimeHooks;
use crate::mechanisms::oci::lifecycle::{self, Stage};
use crate::mechanisms::oci::{bundle, cgroup, process};
use crate::store::oci_state::{self, EXEC_FIFO, Record};
use anyhow::{Context, Result, bail};
use namespaces::console::{Console, Size};
use namespaces::container::{Created, create_with};
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// What `create` and `run` are told.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// The container's id.
    pub id: String,
    /// The bundle directory.
    pub bundle: PathBuf,
    /// Where to write the container's pid before returning.
    pub pid_file: Option<PathBuf>,
    /// A unix socket to send the pty master to, when `process.terminal` is true.
    pub console_socket: Option<PathBuf>,
    /// How many descriptors from 3 up the command inherits (`--preserve-fds`).
    pub preserve_fds: i32,
}

/// A container cloned and held at lesson 01's gate, with its record saved.
struct Prepared {
    created: Created,
    record: Record,
    spec: oci_spec::runtime::Spec,
    /// With `create`: the read end of the child's "ready" pipe.
    ready: Option<OwnedFd>,
}

// ANCHOR: create
/// `create`: returns once the container's process waits for `start`.
pub fn create(root: &Path, options: &CreateOptions) -> Result<()> {
    let prepared = prepare(root, options, true)?;
    let ready = prepared.ready.expect("create holds the process");
    let (id, pid) = (prepared.record.id.clone(), prepared.record.pid);
    // Lesson 01's `start` opens the gate, then waits for execve(2), which only comes after
    // `start`: let a thread wait there, and wait for "ready" instead. The thread ends with us.
    let created = prepared.created;
    std::thread::spawn(move || created.start());
    let mut byte = [0u8; 1];
    let n = loop {
        match nix::unistd::read(&ready, &mut byte) {
            Err(nix::Error::EINTR) => continue,
            other => break other.unwrap_or(0),
        }
    };
    if n != 1 {
        let _ = super::control::delete(root, &id, true);
        bail!(
            "container init failed: its set-up stopped (the reason is on the container's stderr)"
        );
    }
    write_pid_file(options.pid_file.as_deref(), pid)
}
// ANCHOR_END: create

/// `run`: create and start; with `detach`, return at once, else pass signals on to the
/// container, wait, and return the command's exit code, deleting the container after it
/// unless `keep`.
pub fn run(root: &Path, options: &CreateOptions, detach: bool, keep: bool) -> Result<i32> {
    let prepared = prepare(root, options, false)?;
    if !detach {
        // Before the command runs, so that no signal meant for it can end the runtime instead.
        crate::mechanisms::oci::signals::forward_to(prepared.record.pid)?;
    }
    let running = prepared.created.start()?;
    write_pid_file(options.pid_file.as_deref(), prepared.record.pid)?;
    let state = serde_json::to_vec(&state_of(root, &prepared.record))?;
    lifecycle::run(&prepared.spec, Stage::Poststart, &state)?;
    if detach {
        return Ok(0);
    }
    let code = running.wait()?;
    if !keep {
        super::control::delete(root, &options.id, true)?;
    }
    Ok(code)
}

/// Everything up to the held-back process: on any failure, nothing is left behind.
fn prepare(root: &Path, options: &CreateOptions, hold: bool) -> Result<Prepared> {
    let dir = oci_state::dir(root, &options.id)?;
    if dir.exists() {
        bail!("container with id exists: {}", options.id);
    }
    let bundle = bundle::load(&options.bundle)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let cgroup_name = cgroup::name_of(&bundle::cgroups_path(&bundle.spec, &options.id));
    let result = cgroup_name.and_then(|name| prepare_in(root, &dir, &name, &bundle, options, hold));
    if result.is_err() {
        let _ = super::control::delete(root, &options.id, true);
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(cgroup) = cgroup_name_for_cleanup(&bundle, &options.id) {
            let _ = cgroup.remove();
        }
    }
    result
}

/// The cgroup `prepare` may have made before it failed.
fn cgroup_name_for_cleanup(bundle: &bundle::Bundle, id: &str) -> Option<Box<dyn cgroups::Cgroup>> {
    let name = cgroup::name_of(&bundle::cgroups_path(&bundle.spec, id)).ok()?;
    cgroup::open(&name)
}

fn prepare_in(
    root: &Path,
    dir: &Path,
    cgroup_name: &str,
    bundle: &bundle::Bundle,
    options: &CreateOptions,
    hold: bool,
) -> Result<Prepared> {
    let spec = &bundle.spec;
    let plan = process::namespace_plan(spec)?;
    let mut container = process::container_spec(bundle, &plan)?;
    let proc = process::process_of(spec)?;
    let confinement = process::confinement(proc, spec)?;
    let rlimits = process::rlimits(spec)?;
    let console = match (proc.terminal().unwrap_or(false), &options.console_socket) {
        (false, _) => None,
        (true, None) => bail!("process.terminal is true: pass --console-socket to receive the pty"),
        (true, Some(path)) => Some(
            UnixStream::connect(path)
                .with_context(|| format!("connect to console socket {}", path.display()))?,
        ),
    };
    let size = proc.console_size().map_or(Size::DEFAULT, |b| Size {
        rows: b.height() as u16,
        cols: b.width() as u16,
    });
    container.console = console.as_ref().map(|s| Console {
        socket: s.as_raw_fd(),
        size,
    });
    for (kind, path) in &plan.join {
        let file = std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
        nix::sched::setns(&file, kind.clone_flag())
            .with_context(|| format!("setns(2) into {}", path.display()))?;
    }
    let held = if hold { Some(hold_fds(dir)?) } else { None };
    let linux = spec.linux().clone().unwrap_or_default();
    let mounts = spec.mounts().clone().unwrap_or_default();
    let devices = linux.devices().clone().unwrap_or_default();
    let sysctl: Vec<(String, String)> = linux
        .sysctl()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let hooks = RuntimeHooks {
        mounts: &mounts,
        devices: &devices,
        rlimits: &rlimits,
        confinement: &confinement,
        hold: held
            .as_ref()
            .map(|(fifo, _, write)| (fifo.as_raw_fd(), write.as_raw_fd())),
        preserve_fds: options.preserve_fds.max(0),
        sysctl: &sysctl,
        oom_score_adj: proc.oom_score_adj(),
    };
    let cgroup = cgroup::create(cgroup_name, linux.resources().as_ref())?;
    let created = create_with(&container, &hooks)?;
    let pid = created.pid().as_raw();
    cgroup.add_process(pid)?;
    let record = Record {
        id: options.id.clone(),
        pid,
        pid_start: crate::mechanisms::process::start_time(pid).unwrap_or_default(),
        bundle: bundle.dir.clone(),
        rootfs: bundle.rootfs.clone(),
        created: crate::model::clock::now(),
        owner: owner(),
        annotations: bundle::annotations(spec),
        cgroup: cgroup_name.to_string(),
        oci_version: spec.version().clone(),
        paused: false,
    };
    oci_state::save(root, &record)?;
    let state = serde_json::to_vec(&state_of(root, &record))?;
    lifecycle::run(spec, Stage::Prestart, &state)?;
    lifecycle::run(spec, Stage::CreateRuntime, &state)?;
    Ok(Prepared {
        created,
        record,
        spec: spec.clone(),
        ready: held.map(|(_, read, _)| read),
    })
}

/// The exec fifo (made here, opened `O_PATH` for the child to reopen after pivot_root) and the
/// "ready" pipe. Mode 0622 like runc's, so a command running as any user can open it.
fn hold_fds(dir: &Path) -> Result<(OwnedFd, OwnedFd, OwnedFd)> {
    let fifo = dir.join(EXEC_FIFO);
    nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o622))
        .with_context(|| format!("mkfifo {}", fifo.display()))?;
    nix::sys::stat::fchmodat(
        nix::fcntl::AT_FDCWD,
        &fifo,
        Mode::from_bits_truncate(0o622),
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )?;
    let path_fd = nix::fcntl::open(&fifo, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())?;
    let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    Ok((path_fd, read, write))
}

/// Writes the pid file as runc does: a temp file renamed into place, no newline.
fn write_pid_file(path: Option<&Path>, pid: i32) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    images::store::write_atomic(path, pid.to_string().as_bytes())
        .with_context(|| format!("write pid file {}", path.display()))
}

/// The name of the user running the runtime (the state's `owner`), as runc reports it.
fn owner() -> String {
    let uid = nix::unistd::getuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name)
}
