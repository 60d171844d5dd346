//! What `reset` cleans on the host: what the graders make and a crashed or killed grader
//! may leave behind. Every grader names its things with a `kit-` prefix, so nothing else is
//! touched:
//!
//! - mounts under `/tmp/kit-*` (umount2(2) with `MNT_DETACH`, deepest first), then those
//!   scratch directories;
//! - cgroups named `kit-grade-*` in every cgroup hierarchy (cgroups(7)): their processes are
//!   SIGKILLed, then the directory is removed with rmdir(2).
//!
//! Network namespaces, veths, bridges and nft tables need no cleaning: the graders make them
//! only inside network namespaces that are never bind-mounted or named, so the kernel frees
//! them, with everything in them, when the grader's last process or descriptor goes
//! (network_namespaces(7)).

use nix::mount::{MntFlags, umount2};
use std::path::{Path, PathBuf};

/// The prefixes of the graders' scratch directories under the temporary directory.
const SCRATCH_PREFIXES: [&str; 6] = [
    "kit-private-",
    "kit-proc-",
    "kit-pivot-",
    "kit-overlay-",
    "kit-confine-",
    "kit-layer-",
];
/// The prefix of the graders' cgroups.
const CGROUP_PREFIX: &str = "kit-grade-";

/// Removes every leftover and returns one line per thing removed.
pub fn clean_host() -> Vec<String> {
    let mut removed = Vec::new();
    let tmp = std::env::temp_dir();
    let is_ours = |point: &Path| {
        point
            .strip_prefix(&tmp)
            .ok()
            .and_then(|rest| rest.components().next())
            .is_some_and(|first| {
                let name = first.as_os_str().to_string_lossy();
                SCRATCH_PREFIXES.iter().any(|p| name.starts_with(p))
            })
    };
    let mut points: Vec<PathBuf> = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            line.split(' ')
                .nth(4)
                .map(|p| PathBuf::from(p.replace("\\040", " ")))
        })
        .filter(|p| is_ours(p))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for point in points {
        match umount2(&point, MntFlags::MNT_DETACH) {
            Ok(()) => removed.push(format!("mount {}", point.display())),
            Err(e) => removed.push(format!(
                "mount {} could not be detached: {e}",
                point.display()
            )),
        }
    }
    for entry in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
        let path = entry.path();
        let ours = is_ours(&path) && entry.file_type().is_ok_and(|t| t.is_dir());
        if ours && !has_mount_below(&path) && std::fs::remove_dir_all(&path).is_ok() {
            removed.push(format!("directory {}", path.display()));
        }
    }
    for cgroup in kit_cgroups() {
        kill_members(&cgroup);
        match remove_cgroup(&cgroup) {
            Ok(()) => removed.push(format!("cgroup {}", cgroup.display())),
            Err(e) => removed.push(format!(
                "cgroup {} could not be removed: {e}",
                cgroup.display()
            )),
        }
    }
    removed
}

/// Is anything still mounted at or below `dir`? (Then remove_dir_all would reach into it.)
fn has_mount_below(dir: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .any(|point| Path::new(point).starts_with(dir))
}

/// The `kit-grade-*` directories in every cgroup hierarchy (`cgroup` and `cgroup2` mounts),
/// looked for a few levels deep (v1 makes them under the cgroup of whoever created them).
fn kit_cgroups() -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter(|line| {
            line.split(" - ")
                .nth(1)
                .is_some_and(|r| r.starts_with("cgroup"))
        })
        .filter_map(|line| line.split(' ').nth(4).map(PathBuf::from))
        .collect();
    let mut found = Vec::new();
    for root in roots {
        find_dirs(&root, 4, &mut found);
    }
    found
}

fn find_dirs(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(CGROUP_PREFIX)
        {
            found.push(entry.path());
        } else if depth > 0 {
            find_dirs(&entry.path(), depth - 1, found);
        }
    }
}

/// SIGKILLs every process in the cgroup (`cgroup.procs`).
fn kill_members(cgroup: &Path) {
    let procs = std::fs::read_to_string(cgroup.join("cgroup.procs")).unwrap_or_default();
    for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// rmdir(2) of the cgroup, retried until a deadline while its killed processes exit (EBUSY).
fn remove_cgroup(cgroup: &Path) -> std::io::Result<()> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match std::fs::remove_dir(cgroup) {
            Err(e)
                if e.raw_os_error() == Some(libc::EBUSY) && std::time::Instant::now() < until =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}
