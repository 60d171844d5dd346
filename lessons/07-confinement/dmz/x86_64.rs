//! x86_64: the entry point and the `syscall` instruction (syscall(2), "Architecture calling
//! conventions": number in rax, arguments in rdi, rsi, rdx, r10; result in rax).

/// System call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
#[repr(usize)]
pub enum Nr {
    Write = 1,
    RtSigprocmask = 14,
    Clone = 56,
    Execve = 59,
    Wait4 = 61,
    Kill = 62,
    RtSigtimedwait = 128,
    ExitGroup = 231,
    CloseRange = 436,
    Fcntl = 72,
    Ioctl = 16,
    Setsid = 112,
}

// The kernel starts us with rsp at argc; the ABI wants a 16-byte aligned stack at each call.
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "mov rdi, rsp",
    "and rsp, -16",
    "call dmz_main",
    "ud2",
);

/// One system call with up to four arguments; returns the kernel's result (-errno on error).
pub fn syscall(nr: Nr, a: [usize; 4]) -> usize {
    let ret: usize;
    // SAFETY: each call site passes arguments valid for its system call; `syscall` clobbers
    // only rcx and r11.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") nr as usize => ret, in("rdi") a[0], in("rsi") a[1],
            in("rdx") a[2], in("r10") a[3], lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}
