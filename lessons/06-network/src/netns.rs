//! Network namespaces (network_namespaces(7)): make one, run code in it, run a program in it.
//!
//! A network namespace is a complete, private copy of the network stack: its own interfaces
//! (a new one has only a down `lo`), addresses, routes, firewall tables and `/proc/sys/net`
//! settings. We hold one by an open file descriptor on `/proc/…/ns/net`; while any descriptor,
//! process or bind mount refers to it, it lives; when the last goes, the kernel deletes it
//! together with every interface, route and nftables table inside.
//!
//! The namespace is an attribute of a *thread*, not of a process. So the library enters a
//! namespace with setns(2) from a dedicated thread ([`NetNs::run`]) and never moves the
//! caller's thread; a child process started from that thread (or with [`NetNs::command`])
//! inherits it.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use nix::sched::{CloneFlags, setns, unshare};

/// What can go wrong with a network namespace.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// unshare(CLONE_NEWNET) failed: usually not root (needs CAP_SYS_ADMIN).
    #[error("could not create a network namespace (unshare CLONE_NEWNET): {0}: run as root")]
    Unshare(#[source] nix::Error),
    /// Opening `/proc/…/ns/net` failed (e.g. the process has exited).
    #[error("could not open {path}: {source}")]
    Open {
        /// The namespace file.
        path: PathBuf,
        /// The error from open(2).
        source: std::io::Error,
    },
    /// setns(2) into the namespace failed.
    #[error("could not enter the network namespace (setns): {0}")]
    Setns(#[source] nix::Error),
}

/// A handle on a network namespace: an open descriptor on its `ns/net` file.
///
/// Cloning shares the descriptor; the namespace lives at least as long as any clone.
#[derive(Debug, Clone)]
pub struct NetNs {
    fd: Arc<OwnedFd>,
}

impl NetNs {
    /// A brand-new, empty network namespace: unshare(2) with CLONE_NEWNET in a short-lived
    /// thread, which then opens its own `/proc/thread-self/ns/net` so the namespace outlives it.
    pub fn new() -> Result<NetNs, Error> {
        std::thread::scope(|s| {
            s.spawn(|| {
                // Only this helper thread moves; the caller's threads stay where they are.
                unshare(CloneFlags::CLONE_NEWNET).map_err(Error::Unshare)?;
                NetNs::current()
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// The namespace the calling thread is in (`/proc/thread-self/ns/net`).
    pub fn current() -> Result<NetNs, Error> {
        Self::open("/proc/thread-self/ns/net".into())
    }

    /// The namespace of process `pid` (`/proc/PID/ns/net`), e.g. a container's.
    pub fn of_pid(pid: u32) -> Result<NetNs, Error> {
        Self::open(format!("/proc/{pid}/ns/net").into())
    }

    fn open(path: PathBuf) -> Result<NetNs, Error> {
        match std::fs::File::open(&path) {
            Ok(file) => Ok(NetNs {
                fd: Arc::new(file.into()),
            }),
            Err(source) => Err(Error::Open { path, source }),
        }
    }

    /// The namespace's inode number: two handles refer to the same namespace exactly when
    /// their inodes are equal (this is what `ls -l /proc/PID/ns/net` shows as `net:[INODE]`).
    pub fn inode(&self) -> u64 {
        // fstat(2) on the descriptor: st_ino is the namespace's identity.
        nix::sys::stat::fstat(self.fd.as_fd()).map_or(0, |st| st.st_ino)
    }

    /// Move the *calling thread* into this namespace with setns(2). Used by single-threaded
    /// step programs, and by child processes between fork and exec.
    pub fn enter(&self) -> Result<(), Error> {
        setns(self.fd.as_fd(), CloneFlags::CLONE_NEWNET).map_err(Error::Setns)
    }

    /// Run `f` on a new thread that first setns(2)'d into this namespace, and return its
    /// result. Sockets `f` opens belong to this namespace for good; child processes it spawns
    /// start inside it. A panic in `f` is passed on to the caller.
    // ANCHOR: run
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
        std::thread::scope(|s| {
            s.spawn(|| {
                self.enter()?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
    // ANCHOR_END: run

    /// A [`Command`] that runs `program` inside this namespace, like `ip netns exec`:
    /// the forked child calls setns(2) before execve(2).
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let fd = Arc::clone(&self.fd);
        // SAFETY: between fork and exec only async-signal-safe work is allowed; setns(2) is a
        // plain system call on a descriptor that was opened before the fork.
        unsafe {
            cmd.pre_exec(move || {
                setns(fd.as_fd(), CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
            });
        }
        cmd
    }
}

impl AsFd for NetNs {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for NetNs {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Move this whole (single-threaded) program into a fresh network namespace of its own and
/// bring its `lo` up: the private "host" every step runs in, so a step never changes the
/// machine's real interfaces, routes, sysctls or firewall. When the program exits, the kernel
/// deletes the namespace and everything the step made in it.
pub fn unshare_host() -> Result<NetNs, crate::Error> {
    unshare(CloneFlags::CLONE_NEWNET).map_err(Error::Unshare)?;
    let host = NetNs::current()?;
    let mut nl = crate::netlink::Netlink::open()?;
    let lo = nl.link("lo")?;
    nl.set_up(lo.index)?;
    Ok(host)
}
