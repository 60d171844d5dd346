//! Which cgroup layout this machine runs: v2 "unified", v1 "legacy", or "hybrid" (v1
//! controllers plus an extra, mostly empty cgroup2 mount), and where each hierarchy is mounted.
//!
//! Two kernel interfaces tell us: statfs(2) on `/sys/fs/cgroup` gives the filesystem's magic
//! number (cgroup2 or tmpfs), and `/proc/self/mountinfo` (proc(5)) lists every cgroup mount
//! with the controllers it carries in its super options.

use crate::error::{Error, Result};
use namespaces::mounts::unescape;
use nix::sys::statfs::{CGROUP2_SUPER_MAGIC, TMPFS_MAGIC, statfs};
use std::path::{Path, PathBuf};

/// Where systemd and every distribution mount cgroups.
pub const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The three ways a machine can arrange its cgroups (cgroups(7), "Cgroups version 1/2").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Only cgroup v2: one tree at `/sys/fs/cgroup` for every controller.
    Unified,
    /// Only cgroup v1: one tree per controller at `/sys/fs/cgroup/<controller>`.
    Legacy,
    /// v1 trees for the controllers, plus a cgroup2 tree (usually `/sys/fs/cgroup/unified`)
    /// that systemd uses for tracking only. Controllers are driven through v1.
    Hybrid,
}

/// One cgroup (v1 or v2) mount, as listed in `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    /// Where it is mounted, e.g. `/sys/fs/cgroup/memory`.
    pub mount_point: PathBuf,
    /// Which directory of the hierarchy appears there (field 4; `/` unless bind-mounted).
    pub root: String,
    /// `true` for cgroup2, `false` for a v1 hierarchy.
    pub v2: bool,
    /// For v1: the controllers this hierarchy carries (`cpu`, `cpuacct`, `name=systemd`…).
    pub controllers: Vec<String>,
}

/// Detects the layout: statfs(2) on [`CGROUP_ROOT`], then the mount table for v1/hybrid.
// ANCHOR: detect
pub fn detect() -> Result<(Layout, Vec<CgroupMount>)> {
    let root = Path::new(CGROUP_ROOT);
    let fs = statfs(root).map_err(|errno| Error::Io {
        action: "statfs",
        path: root.into(),
        source: errno.into(),
    })?;
    let mountinfo = Path::new("/proc/self/mountinfo");
    let mounts = parse_mountinfo(&crate::files::read(mountinfo)?);
    let layout = if fs.filesystem_type() == CGROUP2_SUPER_MAGIC {
        Layout::Unified
    } else if fs.filesystem_type() == TMPFS_MAGIC && mounts.iter().any(|m| !m.v2) {
        if mounts.iter().any(|m| m.v2) {
            Layout::Hybrid
        } else {
            Layout::Legacy
        }
    } else {
        return Err(Error::NotMounted { path: root.into() });
    };
    Ok((layout, mounts))
}
// ANCHOR_END: detect

/// Picks the cgroup mounts out of a mountinfo text. Each line is
/// `id parent major:minor root mount-point options [optional…] - fstype source super-options`.
pub fn parse_mountinfo(text: &str) -> Vec<CgroupMount> {
    let mut mounts = Vec::new();
    for line in text.lines() {
        let Some((before, after)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = before.split(' ').collect();
        let tail: Vec<&str> = after.split(' ').collect();
        if fields.len() < 5 || tail.len() < 3 {
            continue;
        }
        let v2 = match tail[0] {
            "cgroup2" => true,
            "cgroup" => false,
            _ => continue,
        };
        let controllers = if v2 {
            Vec::new()
        } else {
            // Super options mix flags (rw, relatime) with controller names; keep the names.
            tail[2]
                .split(',')
                .filter(|o| !matches!(*o, "rw" | "ro" | "relatime" | "noatime"))
                .map(String::from)
                .collect()
        };
        mounts.push(CgroupMount {
            mount_point: unescape(fields[4]).into(),
            root: unescape(fields[3]),
            v2,
            controllers,
        });
    }
    mounts
}

/// The cgroup this process belongs to in each hierarchy, from `/proc/self/cgroup`
/// (lines `hierarchy-id:controllers:path`; v2's line is `0::path`).
/// Returns `(controllers, path)` pairs; v2's controllers are empty.
pub fn own_cgroups() -> Result<Vec<(Vec<String>, String)>> {
    let text = crate::files::read(Path::new("/proc/self/cgroup"))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let _id = parts.next()?;
            let controllers = parts
                .next()?
                .split(',')
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect();
            Some((controllers, parts.next()?.to_string()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 23 0:40 / /mnt/with\\040space rw - cgroup2 cgroup2 rw";

    #[test]
    fn mountinfo_lists_v1_controllers_and_v2_mounts() {
        let mounts = parse_mountinfo(HYBRID);
        assert_eq!(mounts.len(), 5);
        assert_eq!(mounts[0].controllers, ["cpu", "cpuacct"]);
        assert_eq!(mounts[1].mount_point, Path::new("/sys/fs/cgroup/memory"));
        assert!(mounts[2].controllers.contains(&"name=systemd".to_string()));
        assert!(mounts[3].v2);
        assert_eq!(mounts[4].mount_point, Path::new("/mnt/with space"));
    }
}
