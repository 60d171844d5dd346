//! A container started the way an engine starts one, built only from the lessons' libraries:
//! a cgroup (lesson 02), an overlay of the busybox root filesystem with a writable upper layer
//! (lesson 03), and a held-back clone(2) into new namespaces that is put into the cgroup
//! before it runs (lesson 01). The benchmarks time each piece; `kit-run` is the whole thing as
//! a command, so it can be compared with `runc run` and `crun run`.

use std::path::Path;

use cgroups::{CgroupGuard, Controller, Hierarchy};
use namespaces::container::{ContainerSpec, create};
use overlay::scratch::Scratch;
use overlay::{Mounted, Overlay};

/// The controllers a sandbox's cgroup gets (cgroups(7)): the ones `docker run --memory --cpus
/// --pids-limit` needs.
pub const CONTROLLERS: [Controller; 3] = [Controller::Memory, Controller::Cpu, Controller::Pids];

/// What can fail while preparing or running a sandbox, from the lesson library that failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Creating, joining or removing the cgroup (lesson 02).
    #[error("cgroup: {0}")]
    Cgroup(#[from] cgroups::Error),
    /// Making the scratch dirs or mounting the overlay (lesson 03).
    #[error("overlay: {0}")]
    Overlay(#[from] overlay::Error),
    /// Cloning, setting up or waiting for the container (lesson 01).
    #[error("container: {0}")]
    Container(#[from] namespaces::Error),
}

/// One container's resources on the host: a cgroup and an overlay root. Dropping it removes
/// them: the cgroup first (killing anything still inside), then the overlay (umount2(2)),
/// then the overlay's directories.
#[derive(Debug)]
pub struct Sandbox {
    // Fields drop in declaration order, which is the teardown order.
    cgroup: CgroupGuard,
    root: Mounted,
    _dirs: Scratch,
}

impl Sandbox {
    /// Creates the cgroup (mkdir(2) in the cgroup filesystem) and mounts an overlay whose only
    /// lower layer is `image_root` (read-only, shared) over a fresh upper dir (mount(2)).
    /// `name` must be unique on the machine (see `harness::names::unique`).
    pub fn new(name: &str, image_root: &Path) -> Result<Sandbox, Error> {
        let dirs = Scratch::new()?;
        let (upper, work, merged) = dirs.overlay_dirs("rootfs")?;
        let root = Overlay::new([image_root], &upper, &work).mount(&merged)?;
        let cgroup = CgroupGuard(Hierarchy::detect()?.create(name, &CONTROLLERS)?);
        Ok(Sandbox {
            cgroup,
            root,
            _dirs: dirs,
        })
    }

    /// The merged overlay: the container's `/`.
    pub fn rootfs(&self) -> &Path {
        self.root.target()
    }

    /// Runs `args` in a container on this sandbox and returns its exit code: clone(2) into new
    /// namespaces, held back; its pid written to the cgroup's `cgroup.procs`; released; waited
    /// for (waitpid(2)).
    // ANCHOR: run
    pub fn run(&self, args: Vec<String>) -> Result<i32, Error> {
        let mut spec = ContainerSpec::new(self.rootfs(), args);
        spec.readonly_rootfs = false; // the overlay's upper layer is this container's own
        let created = create(&spec)?;
        // Join the cgroup before the command runs, so nothing it does escapes the limits.
        self.cgroup.add_process(created.pid().as_raw())?;
        Ok(created.start()?.wait()?)
    }
    // ANCHOR_END: run
}
