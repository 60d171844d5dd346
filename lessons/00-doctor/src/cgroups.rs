//! The cgroup layout (cgroups(7)) and which controllers the kit can use.
//!
//! Linux has two cgroup versions, and a machine mounts them in one of three layouts:
//!
//! - **v2 unified**: one `cgroup2` filesystem at `/sys/fs/cgroup` (Ubuntu 21.10+, Debian 11+,
//!   Fedora 31+). Its root `cgroup.controllers` lists the controllers.
//! - **v1**: a `tmpfs` at `/sys/fs/cgroup` with one `cgroup` filesystem per controller
//!   (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup/pids`…).
//! - **hybrid**: v1 as above, plus a `cgroup2` mount at `/sys/fs/cgroup/unified` (systemd's
//!   "hybrid" mode). Each controller lives in exactly one hierarchy: here the v1 ones hold
//!   memory, cpu and pids, and the v2 one holds whatever no v1 mount took.
//!
//! Two independent pieces of evidence: statfs(2) on `/sys/fs/cgroup` (the filesystem magic
//! `CGROUP2_SUPER_MAGIC` or `TMPFS_MAGIC`, as systemd and runc detect it) and the mount table
//! in `/proc/self/mountinfo` (proc(5)), which also names each hierarchy's controllers.

use crate::check::{Check, Requirement};
use crate::mountinfo::{Mount, parse_mountinfo};
use nix::sys::statfs::{CGROUP2_SUPER_MAGIC, TMPFS_MAGIC, statfs};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where the cgroup filesystems are mounted by convention.
pub const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The controllers the kit's lessons need: memory limits, cpu quotas, a pids limit.
pub const REQUIRED_CONTROLLERS: [&str; 3] = ["memory", "cpu", "pids"];

/// The names a cgroup v1 mount's super options may carry that are controllers (cgroups(7)).
const V1_CONTROLLERS: [&str; 14] = [
    "cpuset",
    "cpu",
    "cpuacct",
    "blkio",
    "memory",
    "devices",
    "freezer",
    "net_cls",
    "perf_event",
    "net_prio",
    "hugetlb",
    "pids",
    "rdma",
    "misc",
];

/// The three layouts (and "nothing mounted").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Only cgroup v2, normally at `/sys/fs/cgroup`.
    Unified,
    /// Only cgroup v1 hierarchies.
    Legacy,
    /// v1 hierarchies plus a cgroup2 mount (normally `/sys/fs/cgroup/unified`).
    Hybrid,
    /// No cgroup filesystem is mounted.
    None,
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Layout::Unified => "v2 unified",
            Layout::Legacy => "v1",
            Layout::Hybrid => "hybrid",
            Layout::None => "none",
        })
    }
}

/// The v1 controllers named in a cgroup v1 mount's super options (`rw,cpu,cpuacct`).
pub fn v1_controllers(mount: &Mount) -> Vec<String> {
    mount
        .super_options
        .iter()
        .filter(|o| V1_CONTROLLERS.contains(&o.as_str()))
        .cloned()
        .collect()
}

/// Classifies a mount table: cgroup2 at `/sys/fs/cgroup` is unified; v1 mounts plus any
/// cgroup2 mount is hybrid; v1 mounts alone are v1; a cgroup2 mount elsewhere alone is unified.
// ANCHOR: classify
pub fn classify(mounts: &[Mount]) -> Layout {
    let v2_at_root = mounts
        .iter()
        .any(|m| m.fs_type == "cgroup2" && m.mount_point == Path::new(CGROUP_ROOT));
    let any_v2 = mounts.iter().any(|m| m.fs_type == "cgroup2");
    let any_v1 = mounts.iter().any(|m| m.fs_type == "cgroup");
    match (v2_at_root, any_v1, any_v2) {
        (true, _, _) => Layout::Unified,
        (false, true, true) => Layout::Hybrid,
        (false, true, false) => Layout::Legacy,
        (false, false, true) => Layout::Unified,
        (false, false, false) => Layout::None,
    }
}
// ANCHOR_END: classify

/// Classifies by filesystem magic, as systemd does: statfs(2) of `root` says cgroup2
/// (unified) or tmpfs; under a tmpfs, `root/unified` being cgroup2 means hybrid.
pub fn layout_from_statfs(root: &Path) -> crate::Result<Layout> {
    let top = statfs(root).map_err(crate::error::sys(format!("statfs({})", root.display())))?;
    if top.filesystem_type() == CGROUP2_SUPER_MAGIC {
        return Ok(Layout::Unified);
    }
    if top.filesystem_type() != TMPFS_MAGIC {
        return Ok(Layout::None);
    }
    let unified = statfs(&root.join("unified"));
    Ok(match unified {
        Ok(s) if s.filesystem_type() == CGROUP2_SUPER_MAGIC => Layout::Hybrid,
        _ => Layout::Legacy,
    })
}

/// One available controller and the hierarchy that holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Controller {
    /// The controller's name (`memory`).
    pub name: String,
    /// `v1` or `v2`.
    pub version: &'static str,
    /// The mount point of its hierarchy.
    pub mount_point: PathBuf,
}

/// Every controller the mount table offers: v1 ones from each `cgroup` mount's options, v2
/// ones from `cgroup.controllers` at each `cgroup2` mount, read with `read_v2`.
pub fn controllers(mounts: &[Mount], read_v2: impl Fn(&Path) -> Option<String>) -> Vec<Controller> {
    let mut found = Vec::new();
    for m in mounts {
        let names = match m.fs_type.as_str() {
            "cgroup" => v1_controllers(m),
            "cgroup2" => read_v2(&m.mount_point.join("cgroup.controllers"))
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            _ => continue,
        };
        let version = if m.fs_type == "cgroup" { "v1" } else { "v2" };
        for name in names {
            found.push(Controller {
                name,
                version,
                mount_point: m.mount_point.clone(),
            });
        }
    }
    found
}

/// This process's mount table, or an empty one if `/proc` is not mounted.
fn my_mounts() -> Vec<Mount> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|t| parse_mountinfo(&t))
        .unwrap_or_default()
}

const WHY_LAYOUT: &str = "lesson 02 limits containers with cgroups and must know which version \
     (or mix) this machine mounts";
const WHY_CONTROLLERS: &str = "containers get memory, cpu and pids limits; each needs its \
     controller in some mounted hierarchy";

/// The two cgroup checks: the layout, and the required controllers.
pub fn checks() -> Vec<Check> {
    let mounts = my_mounts();
    vec![
        layout_check(&mounts),
        controllers_check(&mounts, |p| std::fs::read_to_string(p).ok()),
    ]
}

/// The layout, from the mount table, cross-checked with statfs(2).
pub fn layout_check(mounts: &[Mount]) -> Check {
    let layout = classify(mounts);
    let by_magic = layout_from_statfs(Path::new(CGROUP_ROOT));
    let v2_mount = mounts.iter().find(|m| m.fs_type == "cgroup2");
    let v1_count = mounts.iter().filter(|m| m.fs_type == "cgroup").count();
    let summary = match (layout, v2_mount) {
        (Layout::Hybrid, Some(v2)) => format!(
            "hybrid: {v1_count} v1 hierarchies under {CGROUP_ROOT} + cgroup2 at {}",
            v2.mount_point.display()
        ),
        (Layout::Unified, Some(v2)) => format!("v2 unified at {}", v2.mount_point.display()),
        (Layout::Legacy, _) => format!("v1: {v1_count} hierarchies under {CGROUP_ROOT}"),
        _ => "no cgroup filesystem is mounted".to_string(),
    };
    let mut check = if layout == Layout::None {
        Check::missing(
            "cgroups",
            Requirement::Required,
            WHY_LAYOUT,
            summary,
            "mount cgroup v2: `sudo mount -t cgroup2 none /sys/fs/cgroup` (systemd does this at boot)",
        )
    } else {
        Check::pass("cgroups", Requirement::Required, WHY_LAYOUT, summary)
    };
    check = match by_magic {
        Ok(magic) if magic == layout => {
            check.detail(format!("statfs({CGROUP_ROOT}) agrees: {magic}"))
        }
        Ok(magic) => check.detail(format!(
            "statfs({CGROUP_ROOT}) says {magic}, the mount table says {layout}: cgroups are \
             mounted somewhere unusual"
        )),
        Err(e) => check.detail(e.to_string()),
    };
    if layout == Layout::Hybrid {
        check = check.detail(
            "crun (and so podman) refuse hybrid mode; the kit's lesson 02 uses the v1 controllers",
        );
    }
    check
}

/// Are memory, cpu and pids each available in some mounted hierarchy?
pub fn controllers_check(mounts: &[Mount], read_v2: impl Fn(&Path) -> Option<String>) -> Check {
    let all = controllers(mounts, read_v2);
    let describe = |name: &str| {
        all.iter()
            .find(|c| c.name == name)
            .map(|c| format!("{name} ({} {})", c.version, c.mount_point.display()))
    };
    let missing: Vec<&str> = REQUIRED_CONTROLLERS
        .iter()
        .copied()
        .filter(|n| describe(n).is_none())
        .collect();
    let mut check = if missing.is_empty() {
        let found: Vec<String> = REQUIRED_CONTROLLERS
            .iter()
            .filter_map(|n| describe(n))
            .collect();
        Check::pass(
            "cgroup-controllers",
            Requirement::Required,
            WHY_CONTROLLERS,
            found.join(", "),
        )
    } else {
        Check::missing(
            "cgroup-controllers",
            Requirement::Required,
            WHY_CONTROLLERS,
            format!("not available: {}", missing.join(", ")),
            "enable them on the kernel command line (e.g. `cgroup_enable=memory` on Raspberry Pi \
             OS) and reboot; see /proc/cgroups for what the kernel has",
        )
    };
    let mut names: Vec<String> = all
        .iter()
        .map(|c| format!("{}:{}", c.version, c.name))
        .collect();
    names.dedup();
    check = check.detail(format!("all available: {}", names.join(" ")));
    check
}

#[cfg(test)]
mod tests;
