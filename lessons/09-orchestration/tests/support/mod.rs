//! What the tests share: the footprint of a cluster — everything it made that must be gone
//! once it is dropped, looked up in the kernel's own tables (/proc, cgroupfs, mountinfo).

use std::path::PathBuf;

use orchestration::{Cluster, cgroup};

/// Everything the cluster made that must be gone once it is dropped.
pub struct Footprint {
    pids: Vec<u32>,
    netns: Vec<String>,
    cgroups: Vec<String>,
    dirs: Vec<PathBuf>,
}

impl Footprint {
    /// Records the cluster's daemons, namespaces, cgroups and directories.
    pub fn of(cluster: &Cluster) -> Footprint {
        let servers = cluster.servers();
        let mut pids: Vec<u32> = servers.iter().filter_map(|s| s.daemon_pid()).collect();
        pids.push(cluster.registry_pid());
        Footprint {
            pids,
            netns: servers
                .iter()
                .map(|s| format!("net:[{}]", s.netns().inode()))
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
        for pid in &self.pids {
            assert!(
                !PathBuf::from(format!("/proc/{pid}")).exists(),
                "pid {pid} still runs"
            );
        }
        let in_our_netns: Vec<i32> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/ns/net"))
                    .is_ok_and(|l| self.netns.contains(&l.to_string_lossy().into_owned()))
            })
            .collect();
        assert!(
            in_our_netns.is_empty(),
            "processes left in the servers' netns: {in_our_netns:?}"
        );
        for name in &self.cgroups {
            assert!(
                cgroup::dirs(name).is_empty(),
                "cgroup {name} left: {:?}",
                cgroup::dirs(name)
            );
        }
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        for dir in &self.dirs {
            assert!(!dir.exists(), "{} left", dir.display());
            let prefix = dir.to_string_lossy().into_owned();
            assert!(!mounts.contains(&prefix), "a mount under {prefix} is left");
        }
    }
}
