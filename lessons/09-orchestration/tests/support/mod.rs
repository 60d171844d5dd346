//! What the tests share: the footprint of a cluster — everything it made that must be gone
//! once it is dropped, looked up in the kernel's own tables (/proc, cgroupfs, mountinfo).
//!
//! Processes are recorded as (pid, start time): after the cluster is gone a pid may be
//! reused, and a namespace's inode number certainly may be (the kernel hands out the lowest
//! free one), so "a process in a namespace with that inode" would blame strangers.

use std::path::PathBuf;

use orchestration::server::processes_in;
use orchestration::{Cluster, cgroup};

/// Everything the cluster made that must be gone once it is dropped.
pub struct Footprint {
    processes: Vec<(i32, String)>,
    cgroups: Vec<String>,
    dirs: Vec<PathBuf>,
}

impl Footprint {
    /// Records the cluster's processes (daemons, containerd, shims, containers, registry),
    /// cgroups and directories.
    pub fn of(cluster: &Cluster) -> Footprint {
        let servers = cluster.servers();
        let mut pids: Vec<i32> = vec![cluster.registry_pid() as i32];
        for server in servers {
            pids.extend(processes_in(server.netns()));
            for dir in cgroup::dirs(server.cgroup_parent()) {
                pids.extend(cgroup::processes(&dir));
            }
        }
        pids.sort_unstable();
        pids.dedup();
        Footprint {
            processes: pids
                .into_iter()
                .filter_map(|pid| Some((pid, start_time(pid)?)))
                .collect(),
            cgroups: servers
                .iter()
                .map(|s| s.cgroup_parent().to_string())
                .collect(),
            dirs: servers.iter().map(|s| s.dir().to_path_buf()).collect(),
        }
    }

    /// Panics unless every recorded thing is gone.
    pub fn assert_gone(&self) {
        assert!(self.processes.len() > 4, "too few processes recorded");
        for (pid, started) in &self.processes {
            let same = start_time(*pid).is_some_and(|now| &now == started);
            let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            assert!(!same, "pid {pid} still runs: {cmd:?}");
        }
        for name in &self.cgroups {
            let left = cgroup::dirs(name);
            assert!(left.is_empty(), "cgroup {name} left: {left:?}");
        }
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        for dir in &self.dirs {
            assert!(!dir.exists(), "{} left", dir.display());
            let prefix = dir.to_string_lossy().into_owned();
            assert!(!mounts.contains(&prefix), "a mount under {prefix} is left");
        }
    }
}

/// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
fn start_time(pid: i32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count from the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19).map(str::to_string)
}
