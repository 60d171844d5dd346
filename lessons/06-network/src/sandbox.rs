//! A sandbox: a tiny "pause" process that holds a container's namespaces.
//!
//! Kubernetes starts every pod with a `pause` process whose only job is to own the pod's
//! namespaces; the real programs join them later. We do the same: [`Sandbox::start`] forks a
//! process that unshares a network, a mount and a UTS namespace (unshare(2)) and then just
//! waits (`busybox cat` on a pipe we hold). The network lesson then plugs a veth into
//! `/proc/PID/ns/net`, and [`Sandbox::command`] runs programs (ping, httpd…) inside with
//! setns(2), like `nsenter --target PID --net --mount --uts`.
//!
//! A full container from lesson 01 (`namespaces::container::create`) works the same way:
//! take its pid, open [`NetNs::of_pid`], connect it, then start it.

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, setns, unshare};

use crate::netns::NetNs;

/// What can go wrong starting a sandbox.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Starting the pause process failed.
    #[error(
        "could not start the pause process of sandbox {name:?} (unshare, bind mounts, `busybox cat`): {source}: check that busybox-static is installed and each bind-mount target exists"
    )]
    Spawn {
        /// The sandbox name.
        name: String,
        /// The error from fork/unshare/mount/exec.
        source: std::io::Error,
    },
    /// Opening one of the pause process's namespaces failed.
    #[error("could not open {path}: {source}")]
    Open {
        /// The `/proc/PID/ns/*` file.
        path: PathBuf,
        /// The error from open(2).
        source: std::io::Error,
    },
    /// Opening its network namespace failed.
    #[error(transparent)]
    Netns(#[from] crate::netns::Error),
}

/// A pause process in new network, mount and UTS namespaces. Dropping it kills the process;
/// the kernel then deletes its namespaces and every interface inside them.
pub struct Sandbox {
    name: String,
    pause: Child,
    net: NetNs,
    mnt: Arc<OwnedFd>,
    uts: Arc<OwnedFd>,
}

impl Sandbox {
    /// Start a sandbox called `name` (also its hostname). With `hosts`, that file is
    /// bind-mounted over `/etc/hosts` inside its private mount namespace, as Docker does, so
    /// names written there resolve for every program in the sandbox.
    pub fn start(name: &str, hosts: Option<&Path>) -> Result<Sandbox, Error> {
        let binds: Vec<(&Path, &str)> = hosts.map(|h| (h, "/etc/hosts")).into_iter().collect();
        Self::start_with_files(name, &binds)
    }

    /// Start a sandbox with each `(file, target)` bind-mounted over `target` (an existing
    /// file such as `/etc/hosts` or `/etc/resolv.conf`) inside its mount namespace.
    pub fn start_with_files(name: &str, binds: &[(&Path, &str)]) -> Result<Sandbox, Error> {
        let hostname = name.to_string();
        let binds: Vec<(PathBuf, PathBuf)> = binds
            .iter()
            .map(|(file, target)| (file.to_path_buf(), PathBuf::from(target)))
            .collect();
        let mut cmd = Command::new("busybox");
        cmd.arg("cat").stdin(Stdio::piped()).stdout(Stdio::null());
        // SAFETY: the closure runs in the forked child before exec and makes only system
        // calls (unshare, mount, sethostname) on data prepared before the fork.
        unsafe {
            // ANCHOR: pause
            cmd.pre_exec(move || {
                let flags =
                    CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWUTS;
                unshare(flags)?;
                // Make every mount private first, so the bind mount below never propagates
                // back to the host's mount namespace (mount_namespaces(7)).
                mount(
                    None::<&str>,
                    "/",
                    None::<&str>,
                    MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                    None::<&str>,
                )?;
                for (file, target) in &binds {
                    let (none, bind) = (None::<&str>, MsFlags::MS_BIND);
                    mount(Some(file.as_path()), target.as_path(), none, bind, none)?;
                }
                nix::unistd::sethostname(&hostname)?;
                Ok(())
            });
            // ANCHOR_END: pause
        }
        let mut pause = cmd.spawn().map_err(|source| Error::Spawn {
            name: name.to_string(),
            source,
        })?;
        // spawn() returns after the child's execve succeeded, so its namespaces are the new ones.
        let pid = pause.id();
        let opened = (|| {
            Ok((
                NetNs::of_pid(pid)?,
                open_ns(pid, "mnt")?,
                open_ns(pid, "uts")?,
            ))
        })();
        match opened {
            Ok((net, mnt, uts)) => Ok(Sandbox {
                name: name.to_string(),
                pause,
                net,
                mnt: Arc::new(mnt),
                uts: Arc::new(uts),
            }),
            Err(e) => {
                kill(&mut pause);
                Err(e)
            }
        }
    }

    /// The sandbox's name (and hostname).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pause process's pid, in our pid namespace.
    pub fn pid(&self) -> u32 {
        self.pause.id()
    }

    /// The sandbox's network namespace (`/proc/PID/ns/net`).
    pub fn netns(&self) -> &NetNs {
        &self.net
    }

    /// A [`Command`] that runs `program` inside the sandbox: the child setns(2)'s into its
    /// network, mount and UTS namespaces before execve(2), like `nsenter -t PID -n -m -u`.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let net = self.net.clone();
        let (mnt, uts) = (Arc::clone(&self.mnt), Arc::clone(&self.uts));
        // SAFETY: only setns(2) system calls on descriptors opened before the fork. The child
        // of fork is single-threaded, which setns(CLONE_NEWNS) requires.
        unsafe {
            cmd.pre_exec(move || {
                setns(net.as_fd(), CloneFlags::CLONE_NEWNET)?;
                setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS)?;
                setns(uts.as_fd(), CloneFlags::CLONE_NEWUTS)?;
                Ok(())
            });
        }
        cmd
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        kill(&mut self.pause);
    }
}

fn open_ns(pid: u32, kind: &str) -> Result<OwnedFd, Error> {
    let path = PathBuf::from(format!("/proc/{pid}/ns/{kind}"));
    File::open(&path)
        .map(OwnedFd::from)
        .map_err(|source| Error::Open { path, source })
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
