//! `RUN`: the one step that needs a container. The parent image's layers become the lower
//! dirs of an overlay (lesson 03) with a fresh upper dir; lesson 01's container (clone(2) into
//! new namespaces, pivot_root(2), execve(2)) runs the command inside with the stage's `Env`,
//! `WorkingDir` and `User` (and `HOME` from the image's `/etc/passwd`, [`home_dir`]); whatever
//! it changed is then exactly the upper dir, which becomes the step's layer. The overlay is
//! unmounted and the scratch directories removed on every path (guards), so a failed `RUN`
//! leaves nothing behind. Unlike `capstone run`'s
//! container, `/tmp` is not a tmpfs: files a step writes there stay in its layer, as in
//! Docker. The command's output is shown and its tail kept ([`super::output`]).
//!
//! The container is cloned from this process, so the caller must be single-threaded (the
//! `capstone` CLI is; a multi-threaded test harness is not — tests run the binary).

use super::{etc_files, output};
use crate::mechanisms::runtime::ConfineHooks;
use crate::mechanisms::security;
use crate::{Error, Result};
use namespaces::Namespace;
use namespaces::container::{ContainerSpec, create_with};
use namespaces::hooks::{HookResult, Hooks};
use std::path::{Path, PathBuf};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Where compiled seccomp filters are kept (see `mechanisms::security`).
    pub seccomp_cache: PathBuf,
    /// Unpacked image layers, **topmost first** (overlayfs order).
    pub lowers: Vec<PathBuf>,
    /// argv.
    pub args: Vec<String>,
    /// `KEY=value` environment (`ENV` plus the stage's `ARG`s).
    pub env: Vec<String>,
    /// Working directory inside.
    pub cwd: String,
    /// `USER` (name or id, optional `:group`), resolved in the image's own `/etc/passwd`.
    pub user: String,
    /// Keep the host's network namespace (`host`, and `default`: build steps do not join the
    /// engine's bridge networks, which is what BuildKit's `auto` mode does with no CNI network);
    /// otherwise a new one with only a loopback, brought up (`none`, as in Docker).
    pub host_network: bool,
    /// How the command's output is shown as it runs ([`super::progress`]).
    pub echo: super::progress::Echo,
    /// `RUN <<EOF` with a `#!` line: the script's name and content, put at
    /// `/.capstone-heredoc/NAME` for the step and taken out of its layer afterwards.
    pub script: Option<(String, String)>,
    /// `--mount`s, ready to mount ([`super::mounts`]).
    pub mounts: Vec<super::mounts::Prepared>,
}

/// A scratch directory (upper, work, merged) removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// Makes a fresh scratch directory under `parent`, named after this process
    /// (`step-<pid>-…`) so that a later build can tell it was left by a build that is gone
    /// ([`sweep`]).
    pub fn new(parent: &Path) -> Result<Scratch> {
        std::fs::create_dir_all(parent).map_err(Error::io("create", parent))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("step-{}-", std::process::id()))
            .tempdir_in(parent)
            .map_err(Error::io("create scratch directory in", parent))?
            .keep();
        Ok(Scratch { dir })
    }

    /// A sub-directory, created on first use.
    pub fn sub(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.join(name);
        std::fs::create_dir_all(&path).map_err(Error::io("create", &path))?;
        Ok(path)
    }
}

/// Removes what builds that were killed (SIGKILL, a crash, a power cut: their guards never
/// ran) left under `parent`: the mounts under their scratch directories (detached), then the
/// directories. A directory is left alone while the process named in it still exists.
pub fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("step-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue; // that build may still be running
        }
        super::mounts::detach_all_under(&entry.path());
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ANCHOR: run_step
/// Runs the command on an overlay whose upper dir is `scratch/upper`; returns its exit code
/// and the tail of its output. On success the upper dir holds the step's changes.
pub fn run_step(spec: &RunSpec, scratch: &Scratch) -> Result<Finished> {
    let upper = scratch.sub("upper")?;
    let work = scratch.sub("work")?;
    let merged = scratch.sub("merged")?;
    let script_dir = upper.join(super::heredoc::SCRIPT_DIR);
    if let Some((name, body)) = &spec.script {
        // Written into the upper dir before the mount, so the step sees it in its root.
        std::fs::create_dir(&script_dir).map_err(Error::io("create", &script_dir))?;
        let path = script_dir.join(name);
        std::fs::write(&path, body).map_err(Error::io("write heredoc script", &path))?;
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .map_err(Error::io("chmod heredoc script", &path))?;
    }
    // mount(2) of an overlay: writes land in `upper`, the image's layers stay untouched.
    let mounted = overlay::Overlay::new(spec.lowers.iter(), &upper, &work).mount(&merged)?;
    let (uid, gid) = images::runconfig::resolve_user(&merged, &spec.user)?;
    let mut container = ContainerSpec::new(&merged, spec.args.clone());
    container.env = spec.env.clone();
    if !container.env.iter().any(|e| e.starts_with("HOME=")) {
        container
            .env
            .push(format!("HOME={}", home_dir(&merged, uid)));
    }
    container.cwd = PathBuf::from(if spec.cwd.is_empty() { "/" } else { &spec.cwd });
    container.readonly_rootfs = false; // RUN is there to change the file system
    container.tmpfs_on_tmp = false; // and /tmp is part of it
    container.uid = uid;
    container.gid = gid;
    container.hostname = "buildkitsandbox".into();
    if spec.host_network {
        container.namespaces.retain(|ns| *ns != Namespace::Net);
    }
    // The step's own /etc/hosts and a copy of the host's /etc/resolv.conf, bind-mounted.
    let lent = etc_files::lend(&merged, scratch)?;
    let attached = super::mounts::attach(&merged, &spec.mounts)?;
    let finished = run_container(
        &container,
        spec.echo.clone(),
        !spec.host_network,
        &spec.seccomp_cache,
    );
    let created = lent.give_back();
    let mount_files = attached.release();
    // Unmount before reading the upper dir, on success and failure alike (the guard would
    // detach it lazily too, but an eager umount2(2) reports a busy mount).
    mounted.unmount()?;
    etc_files::tidy_upper(&upper, &created);
    for file in mount_files {
        let _ = std::fs::remove_file(upper.join(file)); // a mount point, not the step's work
    }
    if spec.script.is_some() {
        std::fs::remove_dir_all(&script_dir).map_err(Error::io("remove", &script_dir))?;
    }
    finished
}
// ANCHOR_END: run_step

/// The home directory of user `uid` in the image's own `/etc/passwd` (passwd(5): the sixth
/// field), or `/` when the file has no entry for it — what runc gives a process whose `HOME`
/// is unset, and so what `RUN` sees under Docker: `/root` for root, the user's home after
/// `USER app`. Read inside the root (`openat2(RESOLVE_IN_ROOT)`), never through a symlink out.
pub fn home_dir(rootfs: &Path, uid: u32) -> String {
    use std::io::Read;
    let mut passwd = String::new();
    if let Ok(mut file) = images::safe_path::EntryPath::parse(Path::new("etc/passwd"))
        .and_then(|p| images::safe_path::open_file_in_root(rootfs, &p))
    {
        let _ = file.by_ref().take(1 << 20).read_to_string(&mut passwd);
    }
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 6 && f[2].parse() == Ok(uid))
        .map_or("/".into(), |f| f[5].to_string())
}

/// What a finished `RUN` command left: its exit code and the last lines of its output.
#[derive(Debug)]
pub struct Finished {
    /// The exit code (128+N when killed by signal N).
    pub code: i32,
    /// The tail of its stdout and stderr, interleaved as they were written.
    pub tail: String,
}

/// Clones the container (held back at lesson 01's gate) with its output going into a pipe,
/// brings up its loopback if it has a network namespace of its own, releases it, shows its
/// output, and waits for it. The root is not checked for a `/bin`: an image may hold only the
/// program the step runs.
fn run_container(
    container: &ContainerSpec,
    echo: super::progress::Echo,
    own_netns: bool,
    seccomp_cache: &Path,
) -> Result<Finished> {
    let stdio = output::StepStdio::new()?;
    let mut container = container.clone();
    container.stdio = Some(stdio.fds());
    // Docker's default confinement for RUN too (capabilities, seccomp, masked paths), as
    // both of Docker's builders give it; compiled before clone(2).
    let confinement = security::default_confinement(seccomp_cache, container.uid, container.gid)?;
    let created = create_with(&container, &RunHooks(ConfineHooks(&confinement)))?;
    let pipe = stdio.into_read_end();
    if own_netns {
        loopback_up(created.pid().as_raw() as u32)?;
    }
    let running = created.start()?;
    let tail = output::echo_and_keep_tail(pipe, echo);
    let code = running.wait()?;
    Ok(Finished { code, tail })
}

/// Sets `lo` up in the network namespace of process `pid` — from outside, before the command
/// runs, over an rtnetlink(7) socket opened in that namespace (lesson 06's `Netlink`), the
/// same as `ip -n NS link set lo up`. A new network namespace starts with `lo` down.
fn loopback_up(pid: u32) -> Result<()> {
    let bring_up = || -> std::result::Result<(), network::netlink::Error> {
        let mut netlink = network::netlink::Netlink::open_in(&network::NetNs::of_pid(pid)?)?;
        let lo = netlink.link("lo")?;
        netlink.set_up(lo.index)
    };
    bring_up().map_err(|e| Error::RunStep(format!("cannot bring its loopback up: {e}")))
}

/// A RUN step's additions to lesson 01's container: only the confinement, which switches to
/// the step's user itself.
struct RunHooks<'a>(ConfineHooks<'a>);

impl Hooks for RunHooks<'_> {
    fn switch_user(&self, _uid: u32, _gid: u32, _in_userns: bool) -> HookResult {
        self.0.switch_user()
    }

    /// Through lesson 07's sealed dmz, as for `run` (a base image's `/bin/sh` may be hostile).
    fn exec_through(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.0.exec_through()
    }
}
