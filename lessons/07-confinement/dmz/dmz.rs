//! The dmz: the only program of the runtime a container ever runs. A few kilobytes, no
//! standard library, no libc, raw system calls. The runtime copies it into a sealed memfd
//! (`src/dmz.rs`) and, as the very last step of setting up a container's process, executes it
//! with execveat(2) `AT_EMPTY_PATH`. From then on `/proc/PID/exe` of that process is the
//! sealed copy, not the runtime's binary on the host — so a `#!/proc/self/exe` script in the
//! image runs this dmz again, never the runtime.
//!
//! Two jobs, chosen by its argv (argv[0] included):
//!
//! - `PATH ARGV0 ARGS…`: mark every descriptor from 3 up close-on-exec (close_range(2)), so
//!   what the runtime handed over closes exactly at the command's execve(2), then execve(2)
//!   `PATH` with `ARGV0 ARGS…` and the environment as they are;
//! - `--init PATH ARGV0 ARGS…`: fork(2) the command as above, pass on the signals the runtime
//!   blocked before running us (sigtimedwait(2)) and reap every child (wait4(2)) until the
//!   command exits; exit with its exit code, or 128+N when signal N killed it. A terminal on
//!   fd 0 that controls no session becomes the command's own, in a session it leads. The init of
//!   `run --init` (pid_namespaces(7)), and `exec`'s waiting process, so that the first
//!   process born in the container's PID namespace already runs this dmz.
//!
//! On failure it says why on stderr, with the words of lesson 01's `exec.rs` (the same
//! table, `meanings.rs`), and exits 126 — a shell's "found but cannot execute".
//! Built by `build.rs` with rustc alone: `-C panic=abort`, linked `-nostdlib -static`.

#![no_std]
#![no_main]
#![allow(dead_code)] // the errno table is shared with lesson 01

include!(concat!(env!("KIT_LESSON01_SRC"), "/exec_meanings.rs"));

#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
mod arch;
#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
mod arch;

use arch::{Nr, syscall};

type CStr = *const u8;

/// The signals the runtime blocked for the init to wait on (as lesson 01's `init.rs`):
/// SIGHUP 1, SIGINT 2, SIGQUIT 3, SIGUSR1 10, SIGUSR2 12, SIGTERM 15, SIGCHLD 17, SIGWINCH 28.
const INIT_SIGNALS: u64 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 9) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 27);
const SIGCHLD: usize = 17;
const EXIT_CANNOT_EXECUTE: usize = 126;

/// Called by the entry point with the initial stack: argc, argv…, NULL, envp…, NULL.
#[unsafe(no_mangle)]
extern "C" fn dmz_main(stack: *const usize) -> ! {
    // SAFETY: the kernel lays out the initial stack this way (execve(2), System V ABI).
    let (argc, argv) = unsafe { (*stack, stack.add(1) as *const CStr) };
    // SAFETY: envp follows argv's terminating NULL.
    let envp = unsafe { argv.add(argc + 1) };
    // SAFETY: argv has argc entries.
    let arg = |i: usize| unsafe { *argv.add(i) };
    if argc >= 3 && same(arg(0), b"--init\0") {
        // SAFETY: argv + 1 points at argc - 1 entries and its NULL.
        init(unsafe { argv.add(1) }, envp)
    } else if argc >= 2 {
        exec_command(argv, envp)
    } else {
        // Also where a `#!/proc/self/exe` script ends up: it runs this dmz, never the runtime.
        say(&[b"container: dmz: nothing to run (a #!/proc/self/exe script runs this sealed dmz, not the runtime)\n"]);
        exit(EXIT_CANNOT_EXECUTE)
    }
}

// ANCHOR: exec_command
/// execve(2) `argv[0]` with `argv[1..]`; returns only by exiting on failure.
fn exec_command(argv: *const CStr, envp: *const CStr) -> ! {
    // close_range(3, ~0U, CLOSE_RANGE_CLOEXEC): nothing of the runtime outlives the execve.
    // Should a seccomp profile refuse it, fcntl(2) F_SETFD FD_CLOEXEC on each of the first 1024.
    if (syscall(Nr::CloseRange, [3, u32::MAX as usize, 1 << 2, 0]) as isize) < 0 {
        for fd in 3..1024 {
            syscall(Nr::Fcntl, [fd, 2, 1, 0]);
        }
    }
    // SAFETY: argv has at least two entries (checked by the caller), the path and ARGV0.
    let (path, rest) = unsafe { (*argv, argv.add(1)) };
    let errno = syscall(Nr::Execve, [path as usize, rest as usize, envp as usize, 0]).wrapping_neg();
    let why = MEANINGS.iter().find(|(e, _)| *e as usize == errno).map_or(&b"execve(2) failed"[..], |(_, m)| m.as_bytes());
    let mut digits = [0u8; 4];
    say(&[b"container: ", bytes(path), b": cannot execute: ", why, b" [errno ", decimal(errno, &mut digits), b"]\n"]);
    exit(EXIT_CANNOT_EXECUTE)
}
// ANCHOR_END: exec_command

/// pid 1's two jobs (see the top of this file); `command` is PATH ARGV0 ARGS….
fn init(command: *const CStr, envp: *const CStr) -> ! {
    let mask = INIT_SIGNALS;
    // The runtime blocked them before running us (the mask survives execve(2)); again, to be sure.
    syscall(Nr::RtSigprocmask, [0, &mask as *const u64 as usize, 0, 8]);
    let child = syscall(Nr::Clone, [SIGCHLD, 0, 0, 0]) as isize;
    if child == 0 {
        syscall(Nr::RtSigprocmask, [1, &mask as *const u64 as usize, 0, 8]);
        take_free_terminal();
        exec_command(command, envp);
    }
    if child < 0 {
        say(&[b"container: init: fork(2) failed\n"]);
        exit(EXIT_CANNOT_EXECUTE);
    }
    loop {
        let signal = syscall(Nr::RtSigtimedwait, [&mask as *const u64 as usize, 0, 0, 8]);
        if signal == SIGCHLD {
            // Reap every child that has exited; stop once the command is among them.
            loop {
                let mut status: i32 = 0;
                let pid = syscall(Nr::Wait4, [usize::MAX, &mut status as *mut i32 as usize, 1, 0]) as isize;
                if pid <= 0 {
                    break;
                }
                if pid == child {
                    let (code, signal) = ((status >> 8) & 0xff, status & 0x7f);
                    exit(if signal == 0 { code as usize } else { 128 + signal as usize });
                }
            }
        } else if (signal as isize) > 0 {
            syscall(Nr::Kill, [child as usize, signal, 0, 0]);
        }
    }
}

/// Lesson 01's `console::take_free_terminal`, in raw system calls: if fd 0 is a terminal
/// (TCGETS succeeds) that controls no session of ours (TIOCGSID fails), lead a new session
/// (setsid(2)) with it as the controlling terminal (TIOCSCTTY, ioctl_tty(2)). `exec -t` leaves
/// the pty that way, so that the command, not this waiting dmz, gets the kernel's SIGHUP when
/// the user's side hangs up.
fn take_free_terminal() {
    const TCGETS: usize = 0x5401;
    const TIOCSCTTY: usize = 0x540E;
    const TIOCGSID: usize = 0x5429;
    let mut termios = [0u8; 64];
    let mut sid: i32 = 0;
    if (syscall(Nr::Ioctl, [0, TCGETS, termios.as_mut_ptr() as usize, 0]) as isize) < 0
        || (syscall(Nr::Ioctl, [0, TIOCGSID, &mut sid as *mut i32 as usize, 0]) as isize) == 0
    {
        return;
    }
    if (syscall(Nr::Setsid, [0; 4]) as isize) >= 0 {
        syscall(Nr::Ioctl, [0, TIOCSCTTY, 0, 0]);
    }
}

fn exit(code: usize) -> ! {
    syscall(Nr::ExitGroup, [code, 0, 0, 0]);
    loop {}
}

/// write(2) each piece to stderr.
fn say(pieces: &[&[u8]]) {
    for piece in pieces {
        syscall(Nr::Write, [2, piece.as_ptr() as usize, piece.len(), 0]);
    }
}

/// The bytes of a NUL-terminated string, without the NUL.
fn bytes<'a>(s: CStr) -> &'a [u8] {
    let mut len = 0;
    // SAFETY: `s` comes from argv, which the kernel NUL-terminates. (A volatile read, or the
    // compiler turns this loop into a call of libc's strlen, which we do not have.)
    while unsafe { s.add(len).read_volatile() } != 0 {
        len += 1;
    }
    // SAFETY: the `len` bytes before the NUL are readable.
    unsafe { core::slice::from_raw_parts(s, len) }
}

fn same(s: CStr, with_nul: &[u8]) -> bool {
    let b = bytes(s);
    b.len() + 1 == with_nul.len() && b.iter().zip(with_nul).all(|(x, y)| x == y)
}

/// `n` (below 10000) in decimal, written into `buf`.
fn decimal(mut n: usize, buf: &mut [u8; 4]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || start == 0 {
            return &buf[start..];
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(EXIT_CANNOT_EXECUTE)
}
