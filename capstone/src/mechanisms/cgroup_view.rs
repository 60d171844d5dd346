//! The container's own cgroup, read-only at `/sys/fs/cgroup`, as Docker gives one (runc's
//! default `cgroup` mount): programs read their limits there — a JVM sizes its heap from the
//! memory limit, Go's runtime its threads from the CPU quota — and a student can `cat` them.
//! It is mounted after the container entered its cgroup namespace (cgroup_namespaces(7)), so
//! each mount's root is the container's own cgroup: it sees `/sys/fs/cgroup/memory.max`, not
//! the host's tree.
//!
//! - cgroup v2: one `cgroup2` mount.
//! - v1 and hybrid: a tmpfs holding one `cgroup` mount per hierarchy whose controllers the
//!   container has a cgroup of its own in ([`super::cgroup::CONTROLLERS`]), each in a
//!   directory named as on the host (`cpu,cpuacct`, with `cpu` and `cpuacct` symlinks to it,
//!   as runc makes them); then the tmpfs is made read-only. Hierarchies in which the container
//!   sits where its monitor sits are left out: they would show the host's tree.
//!
//! Where Docker differs (asked in `capstone_flags_docker`): on v1 it shows every hierarchy, on a
//! tmpfs it leaves writable. The limit files read the same in both, and neither lets the
//! container write them. Here the view is read-only for `--privileged` containers too (not
//! compared with Docker).

use namespaces::hooks::HookResult;
use nix::mount::{MsFlags, mount};
use std::path::Path;

/// Where the view goes, inside the container.
const TARGET: &str = "/sys/fs/cgroup";

/// What to mount, decided before clone(2): inside the container, after pivot_root(2), the
/// host's mount table is no longer visible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupView {
    /// cgroup v2: the one hierarchy.
    V2,
    /// cgroup v1: the controllers of each hierarchy to mount, e.g. `["cpu", "cpuacct"]`.
    V1(Vec<Vec<String>>),
    /// No cgroup filesystem on this machine: nothing to show.
    Nothing,
}

/// The view for this machine's cgroup layout (lesson 02's detection).
pub fn plan() -> CgroupView {
    let ours: Vec<&str> = super::cgroup::CONTROLLERS
        .iter()
        .map(|c| c.name())
        .collect();
    match cgroups::layout::detect() {
        Ok((cgroups::Layout::Unified, _)) => CgroupView::V2,
        Ok((_, mounts)) => CgroupView::V1(
            mounts
                .into_iter()
                .filter(|m| !m.v2 && m.controllers.iter().any(|c| ours.contains(&c.as_str())))
                .map(|m| m.controllers)
                .collect(),
        ),
        Err(_) => CgroupView::Nothing,
    }
}

/// Mounts `view` at `/sys/fs/cgroup` in the container (after pivot_root(2), inside its
/// cgroup namespace, before its capabilities are dropped). Each mount is read-only, `nosuid`,
/// `nodev`, `noexec` (mount(2)).
pub fn mount_view(view: &CgroupView) -> HookResult {
    let read_only =
        MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let hierarchies = match view {
        CgroupView::Nothing => return Ok(()),
        CgroupView::V2 => {
            return mount(
                Some("cgroup"),
                TARGET,
                Some("cgroup2"),
                read_only,
                None::<&str>,
            )
            .map_err(|e| format!("mount(2) cgroup2 on {TARGET}: {e}").into());
        }
        CgroupView::V1(hierarchies) => hierarchies,
    };
    let writable = read_only - MsFlags::MS_RDONLY;
    mount(
        Some("tmpfs"),
        TARGET,
        Some("tmpfs"),
        writable,
        Some("mode=755"),
    )
    .map_err(|e| format!("mount(2) tmpfs on {TARGET}: {e}"))?;
    for controllers in hierarchies {
        let name = controllers.join(",");
        let dir = Path::new(TARGET).join(&name);
        std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        // The options name the hierarchy: exactly its controllers.
        mount(
            Some("cgroup"),
            &dir,
            Some("cgroup"),
            read_only,
            Some(name.as_str()),
        )
        .map_err(|e| format!("mount(2) cgroup ({name}) on {}: {e}", dir.display()))?;
        for alias in controllers.iter().filter(|c| **c != name) {
            let link = Path::new(TARGET).join(alias);
            std::os::unix::fs::symlink(&name, &link)
                .map_err(|e| format!("symlink {}: {e}", link.display()))?;
        }
    }
    let remount = read_only | MsFlags::MS_REMOUNT;
    mount(
        None::<&str>,
        TARGET,
        None::<&str>,
        remount,
        Some("mode=755"),
    )
    .map_err(|e| format!("mount(2) MS_REMOUNT read-only of {TARGET}: {e}").into())
}
