//! `RUN`: the one step that needs a container. The parent image's layers become the lower
//! dirs of an overlay (lesson 03) with a fresh upper dir; lesson 01's container (clone(2) into
//! new namespaces, pivot_root(2), execve(2)) runs the command inside with the stage's `Env`,
//! `WorkingDir` and `User`; whatever it changed is then exactly the upper dir, which becomes
//! the step's layer. The overlay is unmounted and the scratch directories removed on every
//! path (guards), so a failed `RUN` leaves nothing behind.
//!
//! The container is cloned from this process, so the caller must be single-threaded (the
//! `capstone` CLI is; a multi-threaded test harness is not — tests run the binary).

use super::error::{BuildError, Result};
use namespaces::Namespace;
use namespaces::container::{ContainerSpec, run};
use std::path::{Path, PathBuf};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunSpec {
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
    /// `--network=host` keeps the host's network namespace; otherwise only a loopback.
    pub host_network: bool,
}

/// A scratch directory (upper, work, merged) removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// Makes a fresh scratch directory under `parent`.
    pub fn new(parent: &Path) -> Result<Scratch> {
        std::fs::create_dir_all(parent).map_err(BuildError::io("create", parent))?;
        let dir = tempfile::Builder::new()
            .prefix("step-")
            .tempdir_in(parent)
            .map_err(BuildError::io("create scratch directory in", parent))?
            .keep();
        Ok(Scratch { dir })
    }

    /// A sub-directory, created on first use.
    pub fn sub(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.join(name);
        std::fs::create_dir_all(&path).map_err(BuildError::io("create", &path))?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ANCHOR: run_step
/// Runs the command on an overlay whose upper dir is `scratch/upper`; returns the exit code.
/// On success the upper dir holds the step's changes.
pub fn run_step(spec: &RunSpec, scratch: &Scratch) -> Result<i32> {
    let upper = scratch.sub("upper")?;
    let work = scratch.sub("work")?;
    let merged = scratch.sub("merged")?;
    // mount(2) of an overlay: writes land in `upper`, the image's layers stay untouched.
    let mounted = overlay::Overlay::new(spec.lowers.iter(), &upper, &work).mount(&merged)?;
    let (uid, gid) = images::runconfig::resolve_user(&merged, &spec.user)?;
    let mut container = ContainerSpec::new(&merged, spec.args.clone());
    container.env = spec.env.clone();
    container.cwd = PathBuf::from(if spec.cwd.is_empty() { "/" } else { &spec.cwd });
    container.readonly_rootfs = false; // RUN is there to change the file system
    container.uid = uid;
    container.gid = gid;
    container.hostname = "buildkitsandbox".into();
    if spec.host_network {
        container.namespaces.retain(|ns| *ns != Namespace::Net);
    }
    let code = run(&container);
    // Unmount before reading the upper dir, on success and failure alike (the guard would
    // detach it lazily too, but an eager umount2(2) reports a busy mount).
    mounted.unmount()?;
    Ok(code?)
}
// ANCHOR_END: run_step
