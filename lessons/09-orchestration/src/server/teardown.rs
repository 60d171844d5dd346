//! Stopping a server, in the order that leaves nothing behind and wastes no time: containers
//! (found by the cgroup parent, since each has namespaces of its own) and dockerd together,
//! then whatever is left in the server's network namespace (containerd, shims), then the
//! cgroup directories. The namespaces, and every mount dockerd made in its private mount
//! namespace, are freed by the kernel with their last process and descriptor.

use std::time::{Duration, Instant};

use network::NetNs;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::Server;
use crate::cgroup;

impl Server {
    /// First half of stopping: SIGTERM to dockerd, SIGKILL to every container under the
    /// cgroup parent (so dockerd does not wait out each container's stop timeout).
    pub fn begin_stop(&self) {
        if let Some(pid) = self.daemon_pid() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        cgroup::kill_all(&self.cgroup_parent);
    }

    /// Second half: waits for dockerd (SIGKILL after 20 s), kills what is left in the
    /// server's network namespace (containerd, shims) and under its cgroup parent, and
    /// removes the cgroups. The namespaces and every mount in them go with their last
    /// process; the directory goes with the [`tempfile::TempDir`].
    pub fn finish_stop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let deadline = Instant::now() + Duration::from_secs(20);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut left = processes_in(&self.netns);
            left.extend(
                cgroup::dirs(&self.cgroup_parent)
                    .iter()
                    .flat_map(|d| cgroup::processes(d)),
            );
            if left.is_empty() || Instant::now() > deadline {
                break;
            }
            for pid in left {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            // The kernel reaps killed processes within milliseconds; look again shortly.
            std::thread::sleep(Duration::from_millis(20));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while !cgroup::remove(&self.cgroup_parent).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.begin_stop();
        self.finish_stop();
    }
}

/// Pids of the processes whose network namespace is `netns` (`/proc/PID/ns/net`).
pub fn processes_in(netns: &NetNs) -> Vec<i32> {
    let want = format!("net:[{}]", netns.inode());
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/ns/net"))
                .is_ok_and(|l| l.to_string_lossy() == want)
        })
        .collect()
}
