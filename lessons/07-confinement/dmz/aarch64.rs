//! aarch64: the entry point and the `svc 0` instruction (syscall(2), "Architecture calling
//! conventions": number in x8, arguments in x0..x3; result in x0).

/// System call numbers (include/uapi/asm-generic/unistd.h).
#[repr(usize)]
pub enum Nr {
    Write = 64,
    RtSigprocmask = 135,
    Clone = 220,
    Execve = 221,
    Wait4 = 260,
    Kill = 129,
    RtSigtimedwait = 137,
    ExitGroup = 94,
    CloseRange = 436,
    Fcntl = 25,
    Ioctl = 29,
    Setsid = 157,
}

// The kernel starts us with sp at argc (16-byte aligned already).
core::arch::global_asm!(".globl _start", "_start:", "mov x0, sp", "bl dmz_main", "brk #0",);

/// One system call with up to four arguments; returns the kernel's result (-errno on error).
pub fn syscall(nr: Nr, a: [usize; 4]) -> usize {
    let ret: usize;
    // SAFETY: each call site passes arguments valid for its system call.
    unsafe {
        core::arch::asm!("svc 0", in("x8") nr as usize, inlateout("x0") a[0] => ret, in("x1") a[1],
            in("x2") a[2], in("x3") a[3], options(nostack));
    }
    ret
}
