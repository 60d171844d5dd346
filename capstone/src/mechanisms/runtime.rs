//! Creating a container's first process — with lesson 01's runtime. The record becomes a
//! [`ContainerSpec`] (command, environment, user, hostname, namespaces, stdio, console,
//! `--init`), and the engine's own steps go in as lesson 01's [`Hooks`]: the overlay root
//! (lesson 03) mounted inside the container's mount namespace, volumes and `/etc/hosts` bound
//! in before pivot_root(2), the container's cgroup at `/sys/fs/cgroup` after it, masked paths,
//! and the capabilities. Lesson 01 does the rest:
//! clone(2), the held-back start, `/proc`, `/sys`, `/dev`, pivot_root(2), a `nodev` (and maybe
//! read-only) root, hostname, working directory, user, and execve(2) of the command.
//!
//! The cloned child is a copy of the monitor made by clone(2), so it must not rely on anything
//! another thread may hold (a lock in the allocator, say): it is cloned before the monitor
//! starts its one helper thread (which joins the cgroup while the network is plugged in, see
//! `engine::monitor`), and the hooks use plain system calls.

use crate::Result;
use crate::model::container::Container;
use confinement::Confinement;
use namespaces::Namespace;
use namespaces::console::Console;
use namespaces::container::{ContainerSpec, Created, create_with};
use namespaces::hooks::{HookResult, Hooks};
use std::os::fd::{BorrowedFd, RawFd};
use std::path::{Path, PathBuf};

/// The descriptors that become the container's stdin, stdout and stderr.
#[derive(Debug, Clone, Copy)]
pub struct Stdio {
    /// fds 0, 1, 2 inside, in that order (with `-t`: only until the pty replaces them).
    pub fds: [RawFd; 3],
    /// With `-t`: where to send the pty made inside (lesson 01's console), and its size.
    pub console: Option<Console>,
}

/// The namespaces a container gets; `--network host` keeps the host's network namespace.
/// (The cgroup namespace is entered only once the monitor has put the process in its cgroup,
/// so that cgroup becomes its `/`: see `cgroupns_after_release` below.)
pub fn namespaces_for(record: &Container) -> Vec<Namespace> {
    let mut list = vec![
        Namespace::Mount,
        Namespace::Uts,
        Namespace::Ipc,
        Namespace::Pid,
        Namespace::Cgroup,
    ];
    if record.host_config.network_mode != "host" {
        list.push(Namespace::Net);
    }
    list
}

/// Clones the container's first process and holds it back at lesson 01's gate;
/// [`Created::start`] releases it and returns once the command is exec'd.
pub fn create(record: &Container, stdio: Stdio, confinement: &Confinement) -> Result<Created> {
    let fs = &record.rootfs;
    let c = &record.config;
    let mut spec = ContainerSpec::new(&fs.merged_dir, c.args.clone());
    spec.env = c.env.clone();
    spec.hostname = c.hostname.clone();
    spec.cwd = PathBuf::from(&c.working_dir);
    spec.namespaces = namespaces_for(record);
    spec.readonly_rootfs = record.host_config.readonly_rootfs;
    spec.tmpfs_on_tmp = false; // Docker leaves /tmp to the image
    (spec.uid, spec.gid) = (c.uid, c.gid);
    spec.stdio = Some(stdio.fds);
    spec.console = stdio.console;
    spec.init = record.host_config.init;
    spec.cgroupns_after_release = true; // the monitor moves it into its cgroup while held
    // Its root filesystem is made while the monitor does that (see `engine::monitor`).
    spec.set_up_before_release = true;
    let hooks = EngineHooks {
        record,
        confinement: ConfineHooks(confinement),
        cgroup_view: super::cgroup_view::plan(),
    };
    Ok(create_with(&spec, &hooks)?)
}

/// The engine's additions to lesson 01's set-up of a new container.
struct EngineHooks<'a> {
    record: &'a Container,
    confinement: ConfineHooks<'a>,
    /// What to show at `/sys/fs/cgroup`, decided while the host's mount table is visible.
    cgroup_view: super::cgroup_view::CgroupView,
}

// ANCHOR: set_up
impl Hooks for EngineHooks<'_> {
    /// The overlay is mounted in the container's own mount namespace: when its last process
    /// dies, the kernel unmounts it, so no crash can leave it mounted on the host. A `--rm`
    /// container's layer is deleted right after, so it is mounted `volatile` (lesson 03's
    /// [`overlay::Overlay::volatile`], as podman does): its exit does not wait for the disk.
    fn prepare_root(&self, root: &Path) -> HookResult {
        let fs = &self.record.rootfs;
        let mut layers = overlay::Overlay::new(fs.lower_dirs.clone(), &fs.upper_dir, &fs.work_dir);
        layers.volatile = self.record.host_config.auto_remove;
        // Not ours to unmount: it lives as long as the namespace.
        std::mem::forget(layers.mount(root)?);
        Ok(())
    }

    /// Volumes and bind mounts, resolved inside `root` (never through the image's symlinks),
    /// the `/etc/hosts` and `/etc/resolv.conf` the engine wrote for a networked container,
    /// and `run`'s tmpfs mounts, devices, `/dev/shm` size and ulimits.
    fn before_pivot(&self, root: &Path) -> HookResult {
        crate::mechanisms::volumes::mount::mount_all(self.record, root)?;
        crate::mechanisms::network::files::bind_into(self.record, root)?;
        crate::mechanisms::run_flags::before_pivot(&self.record.host_config.run_flags, root)
    }

    /// `--sysctl`: written in the container's own `/proc/sys`, before confinement makes it
    /// read-only; then the container's own cgroup, read-only at `/sys/fs/cgroup` (now that it
    /// is in its cgroup namespace).
    fn after_pivot(&self) -> HookResult {
        crate::mechanisms::run_flags::after_pivot(&self.record.host_config.run_flags)?;
        super::cgroup_view::mount_view(&self.cgroup_view)
    }

    /// Lesson 07's confinement makes the user switch itself, in its own order (masked paths,
    /// bounding set, seccomp, setuid, capabilities, no_new_privs): see [`ConfineHooks`].
    fn switch_user(&self, _uid: u32, _gid: u32, _in_userns: bool) -> HookResult {
        self.confinement.switch_user()
    }

    /// The command is exec'd by lesson 07's sealed dmz: see [`ConfineHooks::exec_through`].
    fn exec_through(&self) -> Option<BorrowedFd<'_>> {
        self.confinement.exec_through()
    }
}
// ANCHOR_END: set_up

/// Lesson 07's [`Confinement`] (capabilities, seccomp, `no_new_privs`, masked paths), applied
/// in lesson 01's user-switch step, the last one before execve(2); shared by a new container
/// and `exec`.
pub struct ConfineHooks<'a>(pub &'a Confinement);

impl ConfineHooks<'_> {
    /// Applies the whole confinement, switching to its uid and gid on the way.
    pub fn switch_user(&self) -> HookResult {
        self.0.apply_in_child()?;
        Ok(())
    }

    /// Lesson 07's dmz, sealed in a memfd by `security::confinement_for` before the clone: it
    /// makes the final execve(2), so no process of the container ever runs — or can get a
    /// handle on — the capstone binary (CVE-2019-5736; see lesson 07's `dmz.rs`).
    pub fn exec_through(&self) -> Option<BorrowedFd<'static>> {
        confinement::dmz::loaded()
    }
}
