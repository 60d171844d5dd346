//! Harmless system calls, one or two per family Docker's default seccomp profile refuses,
//! and a few it must keep allowing. Each is called with arguments that make it fail
//! harmlessly (a null pointer, an invalid flag) or do something private to the calling
//! process — so without a filter the kernel answers something *other* than `EPERM`, and with
//! Docker's filter the answer is `EPERM` before the kernel even looks at the arguments. The
//! step and the tests call them in a short-lived child that installed the filter.

use std::ptr::null;

/// One probe: a raw system call and what it stands for.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// The family in the words (`namespaces`, `keyring`, …).
    pub family: &'static str,
    /// The system call, e.g. `unshare(CLONE_NEWUSER)`.
    pub call: &'static str,
    /// Makes the call; returns the raw result (negative: see errno).
    pub run: fn() -> libc::c_long,
}

macro_rules! probe {
    ($family:literal, $call:literal, $($arg:expr),+) => {
        Probe {
            family: $family,
            call: $call,
            // SAFETY: every argument is an integer, a null pointer or a static C string; each
            // call is either refused or fails on those arguments, or (unshare, keyctl, syslog,
            // settimeofday(NULL, NULL)) changes or reads nothing outside this process.
            run: || unsafe { libc::syscall($($arg),+) },
        }
    };
}

/// Calls Docker's default profile refuses, one family per entry (or two calls of a family).
pub const REFUSED_BY_DEFAULT: [Probe; 16] = [
    probe!(
        "namespaces",
        "unshare(CLONE_NEWUSER)",
        libc::SYS_unshare,
        libc::CLONE_NEWUSER
    ),
    probe!("namespaces", "setns(-1, 0)", libc::SYS_setns, -1, 0),
    probe!(
        "keyring",
        "keyctl(GET_KEYRING_ID)",
        libc::SYS_keyctl,
        0,
        -3,
        0
    ),
    probe!(
        "keyring",
        "add_key(NULL…)",
        libc::SYS_add_key,
        null::<u8>(),
        null::<u8>(),
        null::<u8>(),
        0,
        -2
    ),
    probe!(
        "BPF",
        "bpf(-1, NULL, 0)",
        libc::SYS_bpf,
        -1,
        null::<u8>(),
        0
    ),
    probe!(
        "perf",
        "perf_event_open(NULL…)",
        libc::SYS_perf_event_open,
        null::<u8>(),
        0,
        -1,
        -1,
        0
    ),
    probe!("userfaultfd", "userfaultfd(-1)", libc::SYS_userfaultfd, -1),
    probe!(
        "kexec",
        "kexec_load(bad flags)",
        libc::SYS_kexec_load,
        0,
        0,
        null::<u8>(),
        0xffff_0000u32
    ),
    probe!(
        "kexec",
        "kexec_file_load(-1…)",
        libc::SYS_kexec_file_load,
        -1,
        -1,
        0,
        null::<u8>(),
        0xffff_0000u32
    ),
    probe!("swap", "swapon(NULL)", libc::SYS_swapon, null::<u8>(), 0),
    probe!("swap", "swapoff(NULL)", libc::SYS_swapoff, null::<u8>()),
    probe!(
        "clock",
        "clock_settime(-1, NULL)",
        libc::SYS_clock_settime,
        -1,
        null::<u8>()
    ),
    probe!(
        "clock",
        "settimeofday(NULL, NULL)",
        libc::SYS_settimeofday,
        null::<u8>(),
        null::<u8>()
    ),
    probe!(
        "syslog",
        "syslog(SIZE_BUFFER)",
        libc::SYS_syslog,
        10,
        null::<u8>(),
        0
    ),
    probe!(
        "mount",
        "mount(NULL…)",
        libc::SYS_mount,
        null::<u8>(),
        null::<u8>(),
        null::<u8>(),
        0,
        null::<u8>()
    ),
    probe!(
        "open_by_handle_at",
        "open_by_handle_at(-1, NULL)",
        libc::SYS_open_by_handle_at,
        -1,
        null::<u8>(),
        0
    ),
];

/// Ordinary calls the profile must keep allowing (they succeed here).
pub const ALLOWED_BY_DEFAULT: [Probe; 4] = [
    probe!("process", "getpid()", libc::SYS_getpid, 0),
    probe!("process", "getppid()", libc::SYS_getppid, 0),
    probe!(
        "files",
        "close_range(1000, 1001)",
        libc::SYS_close_range,
        1000,
        1001,
        0
    ),
    probe!(
        "network",
        "socket(AF_UNIX, SOCK_STREAM)",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    ),
];

/// The outcome of a raw call as a word: `ok`, or the errno's name (`EPERM`).
pub fn outcome(rc: libc::c_long) -> String {
    if rc >= 0 {
        "ok".into()
    } else {
        format!("{:?}", nix::Error::last())
    }
}
