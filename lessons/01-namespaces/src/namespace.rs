//! The namespace kinds (namespaces(7)) and how to tell which namespace a process is in.
//!
//! Every process has a link per namespace kind under `/proc/PID/ns/`; two processes are in
//! the same namespace exactly when those links point to the same inode. That inode number is
//! the evidence the steps print: "inside: uts:\[4026532281], outside: uts:\[4026531838]".

use crate::Result;
use crate::error::io;
use nix::sched::CloneFlags;
use nix::unistd::Pid;
use std::os::unix::fs::MetadataExt;

/// One kind of namespace: what part of the system a process gets its own copy of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Hostname and NIS domain name (uts_namespaces(7)), `CLONE_NEWUTS`.
    Uts,
    /// Process ids: the first process inside is pid 1 (pid_namespaces(7)), `CLONE_NEWPID`.
    Pid,
    /// The mount table (mount_namespaces(7)), `CLONE_NEWNS`.
    Mount,
    /// System V IPC objects and POSIX message queues (ipc_namespaces(7)), `CLONE_NEWIPC`.
    Ipc,
    /// Network devices, addresses, routes, firewall (network_namespaces(7)), `CLONE_NEWNET`.
    Net,
    /// User and group ids and capabilities (user_namespaces(7)), `CLONE_NEWUSER`.
    User,
    /// The view of the cgroup hierarchy (cgroup_namespaces(7)), `CLONE_NEWCGROUP`.
    Cgroup,
}

impl Namespace {
    /// Every kind, in the order the steps introduce them.
    pub const ALL: [Namespace; 7] = [
        Namespace::Uts,
        Namespace::Pid,
        Namespace::Mount,
        Namespace::Ipc,
        Namespace::Net,
        Namespace::User,
        Namespace::Cgroup,
    ];

    /// The clone(2)/unshare(2) flag that asks the kernel for a new namespace of this kind.
    pub fn clone_flag(self) -> CloneFlags {
        match self {
            Namespace::Uts => CloneFlags::CLONE_NEWUTS,
            Namespace::Pid => CloneFlags::CLONE_NEWPID,
            Namespace::Mount => CloneFlags::CLONE_NEWNS,
            Namespace::Ipc => CloneFlags::CLONE_NEWIPC,
            Namespace::Net => CloneFlags::CLONE_NEWNET,
            Namespace::User => CloneFlags::CLONE_NEWUSER,
            Namespace::Cgroup => CloneFlags::CLONE_NEWCGROUP,
        }
    }

    /// The name of this kind's link under `/proc/PID/ns/` (`mnt` for mount namespaces).
    pub fn proc_name(self) -> &'static str {
        match self {
            Namespace::Uts => "uts",
            Namespace::Pid => "pid",
            Namespace::Mount => "mnt",
            Namespace::Ipc => "ipc",
            Namespace::Net => "net",
            Namespace::User => "user",
            Namespace::Cgroup => "cgroup",
        }
    }

    /// The inode number identifying the namespace of this kind that process `pid` is in,
    /// from stat(2) of `/proc/PID/ns/NAME`. Equal numbers mean the same namespace.
    pub fn inode(self, pid: Pid) -> Result<u64> {
        let path = format!("/proc/{pid}/ns/{}", self.proc_name());
        Ok(std::fs::metadata(&path).map_err(io(&path))?.ino())
    }
}

/// The combined clone(2) flags for a set of namespace kinds.
pub fn clone_flags(namespaces: &[Namespace]) -> CloneFlags {
    // exercise 01.1 namespace-flags: begin
    namespaces
        .iter()
        .fold(CloneFlags::empty(), |flags, ns| flags | ns.clone_flag())
    // exercise 01.1: end
}
