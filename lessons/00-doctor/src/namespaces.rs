//! Namespaces (namespaces(7)): which kinds this kernel has, and whether root can make them.
//!
//! Each kind the kernel supports appears as a link in `/proc/self/ns/`. As root we also make
//! one of each in a forked child (unshare(2)), which is what lesson 01 does. Whether an
//! ordinary user may make a *user* namespace is a separate question: see [`crate::userns`].

use crate::check::{Check, Requirement};
use crate::child::{Ended, run_probe};
use nix::sched::CloneFlags;
use std::time::Duration;

/// The kinds the lessons use, by their `/proc/self/ns` names.
pub const REQUIRED_KINDS: [&str; 7] = ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"];

const WHY_KINDS: &str = "each namespace kind hides one part of the host from a container \
     (lesson 01)";

/// Are all seven kinds present in `/proc/self/ns`, and (as root) can a child unshare them?
pub fn kinds() -> Check {
    let present = |k: &&str| std::path::Path::new("/proc/self/ns").join(k).exists();
    let missing: Vec<&str> = REQUIRED_KINDS
        .iter()
        .copied()
        .filter(|k| !present(k))
        .collect();
    let time = if present(&"time") {
        ""
    } else {
        " (no time namespace: Linux < 5.6)"
    };
    if !missing.is_empty() {
        return Check::missing(
            "namespaces",
            Requirement::Required,
            WHY_KINDS,
            format!("missing from /proc/self/ns: {}", missing.join(", ")),
            "use a kernel built with CONFIG_NAMESPACES and every CONFIG_*_NS option (any \
             Debian/Ubuntu kernel)",
        );
    }
    if !nix::unistd::geteuid().is_root() {
        return Check::pass(
            "namespaces",
            Requirement::Required,
            WHY_KINDS,
            format!("all 7 kinds in /proc/self/ns{time} (not created: that needs root)"),
        );
    }
    let flags = CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWUTS
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWNET
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWCGROUP;
    let probe =
        run_probe(
            "unshare of six namespaces",
            Duration::from_secs(5),
            || match nix::sched::unshare(flags) {
                Ok(()) => 0,
                Err(e) => e as i32,
            },
        );
    match probe {
        Ok(Ended::Exited(0)) => Check::pass(
            "namespaces",
            Requirement::Required,
            WHY_KINDS,
            format!(
                "all 7 kinds in /proc/self/ns{time}; a child unshared mnt, uts, ipc, net, pid, cgroup"
            ),
        ),
        other => Check::missing(
            "namespaces",
            Requirement::Required,
            WHY_KINDS,
            format!(
                "the kinds exist but root could not unshare them: {}",
                crate::child::describe(&other)
            ),
            "if this runs inside a container, run the kit on the host or in a VM instead; \
             otherwise check `dmesg` and security modules (SELinux, AppArmor) for denials",
        ),
    }
}
