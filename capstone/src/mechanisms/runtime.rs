//! Creating a container's first process: one clone(2) into new namespaces, held back on a
//! pipe (lesson 01's [`Gate`]) while the monitor puts it into its cgroup, then, inside:
//! stdio, the overlay root (lesson 03), `/proc`, `/sys`, `/dev`, pivot_root(2), a `nodev`
//! (and maybe read-only) root, masked paths, hostname, working directory, user, capabilities,
//! and execve(2) of the command.
//!
//! The cloned child is a copy of the monitor made by clone(2), so it must not rely on anything
//! another thread may hold (a lock in the allocator, say): it is cloned before the monitor
//! starts its one helper thread (which joins the cgroup while the network is plugged in, see
//! `engine::monitor`), and it uses plain system calls.

use crate::mechanisms::security;
use crate::model::container::Container;
use crate::{Error, Result};
use caps::CapsHashSet;
use namespaces::Namespace;
use namespaces::container::{DEFAULT_PATH, EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, EXIT_SETUP_FAILED};
use namespaces::process::{Child, Gate, spawn};
use nix::mount::{MsFlags, mount};
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, signal, sigprocmask};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// The descriptors that become the container's stdin, stdout and stderr.
#[derive(Debug, Clone, Copy)]
pub struct Stdio {
    /// fds 0, 1, 2 inside, in that order (with `-t`: only until the pty replaces them).
    pub fds: [RawFd; 3],
    /// With `-t`: where to send the pty made inside ([`crate::console`]), and its size.
    pub console: Option<Console>,
}

/// `-t`: the container's end of the console socket, and the window size to give the pty.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    /// The socket ([`crate::mechanisms::console::ConsoleSocket::container_end`]).
    pub socket: RawFd,
    /// The pty's window size: the user's terminal's, or 80×24.
    pub size: crate::mechanisms::console::Size,
}

/// A container process that exists, in its namespaces, but waits for [`Created::start`].
#[derive(Debug)]
pub struct Created {
    child: Child,
    gate: Gate,
    exec_seen: ExecPipe,
}

/// A close-on-exec pipe(2) whose write end only the container's process holds: it closes when
/// that process execs its command (or dies), so reading end-of-file means "past execve".
#[derive(Debug)]
struct ExecPipe {
    read_end: OwnedFd,
    write_end: Option<OwnedFd>,
}

impl Created {
    /// Its pid on the host.
    pub fn pid(&self) -> i32 {
        self.child.pid().as_raw()
    }

    /// Lets it set itself up and exec its command, and returns once it has (or has failed):
    /// a signal sent after this reaches the command, not the engine's code before it.
    pub fn start(mut self) -> Result<Child> {
        self.gate.open()?;
        drop(self.exec_seen.write_end.take());
        let mut byte = [0u8; 1];
        while let Err(nix::errno::Errno::EINTR) =
            nix::unistd::read(&self.exec_seen.read_end, &mut byte)
        {}
        Ok(self.child)
    }
}

/// The namespaces a container gets. The cgroup namespace is entered later, from inside, once
/// the process sits in its own cgroup (so that cgroup becomes its `/`); `--network host`
/// keeps the host's network namespace.
pub fn namespaces_for(record: &Container) -> Vec<Namespace> {
    let mut list = vec![
        Namespace::Mount,
        Namespace::Uts,
        Namespace::Ipc,
        Namespace::Pid,
    ];
    if record.host_config.network_mode != "host" {
        list.push(Namespace::Net);
    }
    list
}

/// Clones the container's first process and holds it back (see the module docs).
pub fn create(record: &Container, stdio: Stdio, caps: &CapsHashSet) -> Result<Created> {
    let gate = Gate::new()?;
    let (read_end, write_end) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
    let exec_fd = write_end.as_raw_fd();
    let child = spawn(&namespaces_for(record), || {
        // The monitor blocks signals to read them from a signalfd; Rust ignores SIGPIPE.
        // Neither must reach the command, so undo both first.
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
        // SAFETY: setting a signal's disposition back to the default has no memory effects.
        let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
        if !gate.wait() {
            return EXIT_SETUP_FAILED; // the monitor died before starting us
        }
        match set_up(record, stdio, caps) {
            Ok(()) => {}
            Err(e) => {
                eprintln!("capstone: cannot start container: {e}");
                return EXIT_SETUP_FAILED;
            }
        }
        if record.host_config.init {
            return crate::mechanisms::init::run_as_init(exec_fd, || {
                exec(&record.config.args, &record.config.env)
            });
        }
        exec(&record.config.args, &record.config.env)
    })?;
    Ok(Created {
        child,
        gate,
        exec_seen: ExecPipe {
            read_end,
            write_end: Some(write_end),
        },
    })
}

/// Everything the child does to itself before execve(2), in an order where each step needs
/// the one before. Errors go to the container's stderr, and the exit code is 125.
// ANCHOR: set_up
fn set_up(record: &Container, stdio: Stdio, caps: &CapsHashSet) -> Result<()> {
    attach_stdio(stdio)?;
    // Now inside our cgroup (the monitor moved us before opening the gate).
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWCGROUP)
        .map_err(Error::sys("unshare(CLONE_NEWCGROUP)"))?;
    namespaces::mounts::make_private()?;
    let fs = &record.rootfs;
    let root = &fs.merged_dir;
    // The overlay is mounted in the container's own mount namespace: when its last process
    // dies, the kernel unmounts it, so no crash can leave it mounted on the host.
    let mounted =
        overlay::Overlay::new(fs.lower_dirs.clone(), &fs.upper_dir, &fs.work_dir).mount(root)?;
    std::mem::forget(mounted); // not ours to unmount: it lives as long as the namespace
    for dir in ["proc", "sys", "dev"] {
        make_mount_point(root, dir)?;
    }
    namespaces::mounts::mount_proc(&root.join("proc"))?;
    namespaces::mounts::mount_sysfs_readonly(&root.join("sys"))?;
    // A tmpfs /dev with only harmless devices: a device node shipped in the image stays
    // unusable because the root below is `nodev` (see below).
    namespaces::mounts::mount_minimal_dev(root)?;
    // Volumes and bind mounts, resolved inside `root` (never through the image's symlinks).
    crate::mechanisms::volumes::mount::mount_all(record, root)?;
    // /etc/hosts and /etc/resolv.conf written by the engine for a networked container.
    crate::mechanisms::network::files::bind_into(record, root)?;
    namespaces::mounts::pivot_into(root)?;
    // Per-mount flags of the new root: `nodev` (device nodes in the image do not open),
    // and read-only for `--read-only`.
    let mut flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_NODEV;
    if record.host_config.readonly_rootfs {
        flags |= MsFlags::MS_RDONLY;
    }
    mount(None::<&str>, "/", None::<&str>, flags, None::<&str>)
        .map_err(Error::sys("remount / nodev"))?;
    if let Some(console) = stdio.console {
        // The pty comes from the container's own devpts (see `console`), now that it is `/dev`.
        let slave = crate::mechanisms::console::open_inside(
            console.socket,
            console.size,
            record.config.uid,
        )?;
        crate::mechanisms::console::attach_terminal(slave)?;
    }
    if !record.host_config.privileged {
        security::mask_and_protect_paths()?;
    }
    nix::unistd::sethostname(&record.config.hostname).map_err(Error::sys("sethostname(2)"))?;
    enter_working_dir(Path::new(&record.config.working_dir))?;
    switch_user(record.config.uid, record.config.gid, caps)?;
    security::close_engine_fds_on_exec()
}
// ANCHOR_END: set_up

/// Makes sure `root/name` is a real directory to mount on. The image is untrusted and we
/// still see the host's `/`: a symlink there (`/proc -> /etc`) would send mount(2) or mkdir(2)
/// to the host's files, so it is refused, as runc refuses it (CVE-2019-19921). `name` is a
/// single component, so no earlier symlink can redirect the lookup.
fn make_mount_point(root: &Path, name: &str) -> Result<()> {
    let path = root.join(name);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Error::invalid(
            "image",
            format!("/{name}"),
            "it is not a directory (a symlink or file there could redirect the mount): fix the image",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir(&path).map_err(Error::io("create mount point", &path))
        }
        Err(e) => Err(Error::io("look at mount point", &path)(e)),
    }
}

/// Makes `stdio.fds` the process's 0, 1 and 2 (dup2(2)), in a new session (setsid(2)) so the
/// host terminal's job control does not reach it. (With `-t` a pty replaces them later, once
/// the container's own `/dev/pts` is mounted.)
fn attach_stdio(stdio: Stdio) -> Result<()> {
    for (target, fd) in stdio.fds.into_iter().enumerate() {
        // SAFETY: dup2 on descriptors this process owns; no Rust object owns fds 0-2 here.
        if unsafe { libc::dup2(fd, target as RawFd) } < 0 {
            return Err(Error::sys(format!("dup2({fd}, {target})"))(
                nix::errno::Errno::last(),
            ));
        }
    }
    nix::unistd::setsid().map_err(Error::sys("setsid(2)"))?;
    Ok(())
}

/// Creates the working directory if the image lacks it (as Docker does) and enters it. It is
/// resolved after pivot_root(2), so even a symlink in the image cannot lead outside.
fn enter_working_dir(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(Error::io("create working directory", dir))?;
    }
    nix::unistd::chdir(dir).map_err(Error::sys(format!("chdir({})", dir.display())))
}

/// Bounding set first (it needs CAP_SETPCAP, which root loses at setuid to non-root), then
/// groups, gid, uid, and the process's own capability sets.
fn switch_user(uid: u32, gid: u32, caps: &CapsHashSet) -> Result<()> {
    security::limit_bounding_set(caps)?;
    nix::unistd::setgroups(&[]).map_err(Error::sys("setgroups(2)"))?;
    nix::unistd::setgid(gid.into()).map_err(Error::sys(format!("setgid({gid})")))?;
    nix::unistd::setuid(uid.into()).map_err(Error::sys(format!("setuid({uid})")))?;
    security::set_process_capabilities(caps, uid == 0)
}

/// execve(2) of `args[0]`, looked up in the container's `PATH` like a shell does. Returns only
/// on failure, with the shell's codes: 127 when no such file, 126 when it cannot be executed.
pub fn exec(args: &[String], env: &[String]) -> i32 {
    let to_c = |s: &str| CString::new(s).unwrap_or_default();
    let argv: Vec<CString> = args.iter().map(|a| to_c(a)).collect();
    let envp: Vec<CString> = env.iter().map(|e| to_c(e)).collect();
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    let candidates: Vec<PathBuf> = if args[0].contains('/') {
        vec![PathBuf::from(&args[0])]
    } else {
        path.split(':')
            .map(|dir| Path::new(dir).join(&args[0]))
            .collect()
    };
    let mut failure = None;
    for candidate in candidates.iter().filter(|c| c.exists()) {
        let Err(errno) = nix::unistd::execve(&to_c(&candidate.to_string_lossy()), &argv, &envp);
        failure = Some((candidate.clone(), errno));
    }
    match failure {
        Some((path, errno)) => {
            eprintln!(
                "capstone: exec {}: {errno}: permission denied or not an executable",
                path.display()
            );
            EXIT_CANNOT_EXECUTE
        }
        None => {
            eprintln!(
                "capstone: exec {:?}: executable file not found in $PATH",
                args[0]
            );
            EXIT_NOT_FOUND
        }
    }
}
