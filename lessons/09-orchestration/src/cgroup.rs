//! A server's cgroup parent: the one cgroup directory under which its dockerd puts every
//! container (`cgroup-parent` in daemon.json; cgroups(7)).
//!
//! Containers live in network, mount and PID namespaces of their own, so looking for "the
//! processes of server 2" by namespace misses them. The cgroup parent finds them all, on
//! every controller hierarchy (cgroup v1: one directory per controller, e.g.
//! `/sys/fs/cgroup/pids/NAME`; cgroup v2: `/sys/fs/cgroup/NAME`; hybrid: both): teardown
//! kills every pid in `cgroup.procs` below it, then removes the directories bottom-up
//! (rmdir(2) only succeeds on an empty cgroup).

use std::path::{Path, PathBuf};

/// Where the cgroup hierarchies are mounted.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Every directory named `name` directly under a hierarchy's root.
pub fn dirs(name: &str) -> Vec<PathBuf> {
    let root = Path::new(CGROUP_ROOT);
    let mut found = Vec::new();
    if root.join(name).is_dir() {
        found.push(root.join(name)); // cgroup v2 mounted on /sys/fs/cgroup itself
    }
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let dir = entry.path().join(name);
            if dir.is_dir() && !found.contains(&dir) {
                found.push(dir);
            }
        }
    }
    found
}

/// The pids in `cgroup.procs` of `dir` and of every cgroup below it.
pub fn processes(dir: &Path) -> Vec<i32> {
    let mut pids = Vec::new();
    if let Ok(text) = std::fs::read_to_string(dir.join("cgroup.procs")) {
        pids.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
    }
    for child in subdirs(dir) {
        pids.extend(processes(&child));
    }
    pids
}

/// Sends SIGKILL to every process under the cgroup `name`, on every hierarchy; returns how
/// many it signalled.
pub fn kill_all(name: &str) -> usize {
    let mut pids: Vec<i32> = dirs(name).iter().flat_map(|d| processes(d)).collect();
    pids.sort_unstable();
    pids.dedup();
    for &pid in &pids {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    pids.len()
}

/// Removes the cgroup `name` and everything below it, deepest first; returns the
/// directories that could not be removed (a cgroup with a live process stays).
pub fn remove(name: &str) -> Vec<PathBuf> {
    let mut left = Vec::new();
    for dir in dirs(name) {
        remove_tree(&dir, &mut left);
    }
    left
}

fn remove_tree(dir: &Path, left: &mut Vec<PathBuf>) {
    for child in subdirs(dir) {
        remove_tree(&child, left);
    }
    // A cgroup directory holds only the kernel's files: rmdir(2) removes it as a whole.
    if std::fs::remove_dir(dir).is_err() && dir.exists() {
        left.push(dir.to_path_buf());
    }
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}
