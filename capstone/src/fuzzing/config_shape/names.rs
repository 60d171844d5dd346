//! The names [`super::Word::Known`] picks from, one table per field: what the kit, `oci-spec`
//! or libseccomp match by name, so each of their branches is one choice away.

/// `process.cwd`: absolute, relative, empty.
pub const CWDS: &[&str] = &["/", "/tmp", "relative", ""];
/// `process.capabilities.bounding`: capabilities(7) names, old and new.
pub const CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_KILL",
    "CAP_SETUID",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_ADMIN",
    "CAP_SYS_ADMIN",
    "CAP_SYS_PTRACE",
    "CAP_MKNOD",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];
/// `process.rlimits[].type`: every resource of getrlimit(2) the runtime maps.
pub const RLIMITS: &[&str] = &[
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
];
/// `linux.namespaces[].type`, with the two the runtime refuses (`user`, `time`).
pub const NAMESPACES: &[&str] = &[
    "mount", "uts", "ipc", "pid", "network", "cgroup", "user", "time",
];
/// `linux.namespaces[].path`: to join an existing namespace.
pub const NAMESPACE_PATHS: &[&str] = &["/proc/1/ns/net", "/run/netns/lab", "relative", ""];
/// `mounts[].options`: mount(8) words that are flags, and filesystem data.
pub const MOUNT_OPTIONS: &[&str] = &[
    "ro",
    "rw",
    "nosuid",
    "suid",
    "nodev",
    "dev",
    "noexec",
    "exec",
    "relatime",
    "noatime",
    "strictatime",
    "bind",
    "rbind",
    "rprivate",
    "rslave",
    "mode=755",
    "size=64k",
];
/// `linux.cgroupsPath`: cgroupfs paths, and systemd's `slice:prefix:name` form.
pub const CGROUPS_PATHS: &[&str] = &[
    "/docker/abc",
    "abc",
    "/a/b/c",
    "system.slice:docker:abc",
    "/x:y:z",
    "a:b",
    "",
    "/",
];
/// Seccomp actions (`SCMP_ACT_*`), with `NOTIFY` (refused by lesson 07).
pub const ACTIONS: &[&str] = &[
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_LOG",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_NOTIFY",
];
/// Seccomp architectures (`SCMP_ARCH_*`) of both byte orders.
pub const ARCHITECTURES: &[&str] = &[
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_ARM",
    "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_S390X",
];
/// `linux.seccomp.flags`: seccomp(2)'s `SECCOMP_FILTER_FLAG_*`.
pub const SECCOMP_FLAGS: &[&str] = &[
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
];
/// System call names: real ones (`socket`, which x86 multiplexes), an unknown one, none.
pub const SYSCALLS: &[&str] = &[
    "read",
    "write",
    "openat",
    "clone",
    "clone3",
    "personality",
    "socket",
    "mount",
    "ptrace",
    "ioctl",
    "no_such_syscall",
    "",
];
/// Argument comparisons (`SCMP_CMP_*`).
pub const OPERATORS: &[&str] = &[
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
];
