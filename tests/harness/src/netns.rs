//! A throwaway network namespace to be a networking test's "host".
//!
//! Networking tests create bridges, veth pairs, nftables rules and sysctls. Done in the
//! machine's own namespace, that would change the real host's network; done in a
//! [`TestNetns`], it changes nothing outside: a network namespace has its own interfaces,
//! routes, `/proc/sys/net` and nftables tables. When the guard is dropped it kills every
//! process still in the namespace, deletes every link and flushes the ruleset (so nothing
//! lingers while the kernel frees it), and closes the last descriptor we hold.
//!
//! Inspection goes through the real tools (`ip`, `nft`), not the code under test, so a test
//! that asserts "no links left" cannot be fooled by a bug in the library that made them.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;

use nix::sched::{CloneFlags, setns, unshare};

/// A network namespace owned by a test; everything in it is removed on drop.
#[derive(Debug)]
pub struct TestNetns {
    fd: Arc<OwnedFd>,
    inode: u64,
}

impl TestNetns {
    /// A fresh namespace (unshare(2) CLONE_NEWNET in a helper thread) with `lo` up.
    /// Panics with a clear message if the kernel refuses (not root).
    pub fn new() -> TestNetns {
        let file = std::thread::spawn(|| {
            unshare(CloneFlags::CLONE_NEWNET)
                .expect("unshare(CLONE_NEWNET) failed: network tests must run as root");
            File::open("/proc/thread-self/ns/net").expect("open /proc/thread-self/ns/net")
        })
        .join()
        .expect("netns helper thread");
        let inode = file.metadata().expect("fstat netns").ino();
        let ns = TestNetns {
            fd: Arc::new(file.into()),
            inode,
        };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// The namespace's inode (`net:[INODE]` in `/proc/PID/ns/net`).
    pub fn inode(&self) -> u64 {
        self.inode
    }

    /// Run `f` on a thread inside the namespace (setns(2)); panics in `f` propagate.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|s| {
            s.spawn(|| {
                setns(self.fd.as_fd(), CloneFlags::CLONE_NEWNET).expect("setns into test netns");
                f()
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// A command that runs inside the namespace (setns(2) between fork and exec).
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let fd = Arc::clone(&self.fd);
        // SAFETY: only the setns(2) system call runs between fork and exec, on an fd opened
        // before the fork.
        unsafe {
            cmd.pre_exec(move || {
                setns(fd.as_fd(), CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
            });
        }
        cmd
    }

    /// Run `ip ARGS` inside the namespace and return its stdout; panics if it fails.
    pub fn ip(&self, args: &[&str]) -> String {
        let out = self
            .command("ip")
            .args(args)
            .output()
            .expect("run ip (iproute2)");
        assert!(
            out.status.success(),
            "ip {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The names of all links in the namespace, from `ip -o link show`.
    pub fn links(&self) -> Vec<String> {
        self.ip(&["-o", "link", "show"])
            .lines()
            .filter_map(|l| l.split(": ").nth(1))
            .map(|name| name.split('@').next().unwrap_or(name).to_string())
            .collect()
    }

    /// The whole nftables ruleset of the namespace, from `nft list ruleset`, which must
    /// succeed (so that a table missing from it is really missing).
    pub fn nft_ruleset(&self) -> String {
        let out = self
            .command("nft")
            .args(["list", "ruleset"])
            .output()
            .expect("run nft (nftables)");
        // A failed `nft` prints nothing: a check that a table is *missing* would then pass.
        assert!(out.status.success(), "nft list ruleset failed: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Read a sysctl of this namespace, e.g. `net/ipv4/ip_forward`.
    pub fn sysctl(&self, key: &str) -> String {
        let path = format!("/proc/sys/{key}");
        self.run(|| std::fs::read_to_string(&path).expect("read sysctl"))
            .trim()
            .to_string()
    }

    /// Pids of the processes whose network namespace is this one.
    pub fn processes(&self) -> Vec<i32> {
        let want = format!("net:[{}]", self.inode);
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
}

impl Default for TestNetns {
    fn default() -> Self {
        Self::new()
    }
}

impl AsFd for TestNetns {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for TestNetns {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Drop for TestNetns {
    fn drop(&mut self) {
        for pid in self.processes() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.command("nft").args(["flush", "ruleset"]).status();
        if let Ok(out) = self.command("ip").args(["-o", "link", "show"]).output() {
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let Some(name) = line.split(": ").nth(1) else {
                    continue;
                };
                let name = name.split('@').next().unwrap_or(name);
                if name != "lo" {
                    let mut del = self.command("ip");
                    // The peer of a deleted veth is already gone: that failure is expected.
                    del.args(["link", "del", name])
                        .stderr(std::process::Stdio::null());
                    let _ = del.status();
                }
            }
        }
        // Closing our descriptor drops the last reference; the kernel frees the namespace.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_inode() -> u64 {
        std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino()
    }

    #[test]
    fn fresh_namespace_is_not_ours_and_holds_only_lo_up() {
        let ns = TestNetns::new();
        assert_ne!(ns.inode(), own_inode());
        assert_eq!(ns.links(), vec!["lo".to_string()]);
        assert!(ns.ip(&["-o", "link", "show", "lo"]).contains("UP"));
        assert_eq!(ns.run(own_inode), ns.inode());
    }

    #[test]
    fn drop_kills_processes_still_inside() {
        let ns = TestNetns::new();
        ns.ip(&["link", "add", "tv0", "type", "veth", "peer", "name", "tv1"]);
        let mut child = ns
            .command("busybox")
            .arg("cat")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        assert_eq!(ns.processes(), vec![child.id() as i32]);
        drop(ns);
        // SIGKILL'd by the guard: wait(2) returns at once with the signal.
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
    }
}
