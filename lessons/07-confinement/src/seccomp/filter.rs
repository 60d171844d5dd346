//! A seccomp filter is a classic BPF program (the language of socket filters, bpf(4) of the
//! BSDs): an accumulator `A`, loads from the `struct seccomp_data` the kernel fills in for each
//! system call, jumps, and a `ret` whose value is the verdict (seccomp(2), "Filter return
//! values"). This module holds a compiled program, a hand-written example, and the one call
//! that installs it.

use crate::Result;

/// One classic BPF instruction, laid out as the kernel's `struct sock_filter`
/// (`<linux/filter.h>`): an opcode, two jump offsets (true, false) and a constant.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instruction {
    /// Class, size, mode and operation bits, e.g. `BPF_LD | BPF_W | BPF_ABS`.
    pub code: u16,
    /// How many instructions to skip when a jump's test is true.
    pub jt: u8,
    /// How many instructions to skip when it is false.
    pub jf: u8,
    /// The constant: an offset to load from, a value to compare with, a verdict to return.
    pub k: u32,
}

/// The opcodes and verdicts the hand-written filter uses (`<linux/bpf_common.h>`,
/// `<linux/seccomp.h>`).
pub mod op {
    /// Load a 32-bit word at an absolute offset of `struct seccomp_data` into `A`
    /// (`BPF_LD 0x00 | BPF_W 0x00 | BPF_ABS 0x20`).
    pub const LD_W_ABS: u16 = 0x20;
    /// Jump if `A == k` (`BPF_JMP 0x05 | BPF_JEQ 0x10 | BPF_K 0x00`).
    pub const JEQ_K: u16 = 0x15;
    /// Return the constant `k` as the verdict (`BPF_RET 0x06 | BPF_K 0x00`).
    pub const RET_K: u16 = 0x06;
    /// Offset of `nr` (the system call number) in `struct seccomp_data`.
    pub const OFFSET_NR: u32 = 0;
    /// Offset of `arch` (`AUDIT_ARCH_*`) in `struct seccomp_data`.
    pub const OFFSET_ARCH: u32 = 4;
    /// Verdict: let the call run.
    pub const RET_ALLOW: u32 = 0x7fff_0000;
    /// Verdict: fail the call; the low 16 bits are the errno.
    pub const RET_ERRNO: u32 = 0x0005_0000;
    /// Verdict: kill the whole process (Linux 4.14).
    pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
    /// This machine's `AUDIT_ARCH_*` value (`<linux/audit.h>`).
    #[cfg(target_arch = "x86_64")]
    pub const AUDIT_ARCH_NATIVE: u32 = 0xc000_003e;
    /// This machine's `AUDIT_ARCH_*` value (`<linux/audit.h>`).
    #[cfg(target_arch = "aarch64")]
    pub const AUDIT_ARCH_NATIVE: u32 = 0xc000_00b7;
}

/// A compiled seccomp filter, ready to install. Building it allocates; installing it does
/// not, so an engine compiles before clone(2) and the child only calls [`Filter::install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    instructions: Vec<Instruction>,
    /// System calls the profile names that libseccomp does not know on this machine
    /// (newer than the library, or of another architecture); they stay refused.
    pub unknown_syscalls: Vec<String>,
}

impl Filter {
    /// A filter made of these instructions.
    pub fn new(instructions: Vec<Instruction>) -> Filter {
        Filter {
            instructions,
            unknown_syscalls: Vec::new(),
        }
    }

    /// A filter from the raw bytes libseccomp exports (`seccomp_export_bpf(3)`): 8 bytes
    /// per instruction, in this machine's byte order.
    pub fn from_bytes(bytes: &[u8]) -> Filter {
        let instructions = bytes
            .chunks_exact(8)
            .map(|b| Instruction {
                code: u16::from_ne_bytes([b[0], b[1]]),
                jt: b[2],
                jf: b[3],
                k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
            })
            .collect();
        Filter::new(instructions)
    }

    /// The raw bytes of the program, as [`Filter::from_bytes`] reads them: what an engine
    /// keeps in a cache so that a profile is compiled once, not at every start.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.instructions.len() * 8);
        for i in &self.instructions {
            bytes.extend_from_slice(&i.code.to_ne_bytes());
            bytes.extend_from_slice(&[i.jt, i.jf]);
            bytes.extend_from_slice(&i.k.to_ne_bytes());
        }
        bytes
    }

    /// The instructions.
    pub fn instructions(&self) -> &[Instruction] {
        &self.instructions
    }

    // ANCHOR: install
    /// Installs the filter on the calling thread with seccomp(2) `SECCOMP_SET_MODE_FILTER`.
    /// The kernel wants either `no_new_privs` set or `CAP_SYS_ADMIN`: otherwise a filter could
    /// fool a setuid program into misbehaving. Makes no allocation (safe after fork(2) in a
    /// multi-threaded parent); returns the errno on failure.
    pub fn install(&self) -> std::result::Result<(), nix::Error> {
        let program = libc::sock_fprog {
            len: self.instructions.len() as u16,
            // The kernel only reads the program; Instruction has sock_filter's layout.
            filter: self.instructions.as_ptr() as *mut libc::sock_filter,
        };
        const SECCOMP_SET_MODE_FILTER: libc::c_ulong = 1;
        // SAFETY: `program` points at `len` valid instructions that outlive the call; the
        // kernel copies the program and keeps no pointer into our memory.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                SECCOMP_SET_MODE_FILTER,
                0 as libc::c_ulong,
                &program as *const libc::sock_fprog,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(nix::Error::last())
        }
    }
    // ANCHOR_END: install
}

// ANCHOR: refuse_one
/// A filter of seven instructions, written by hand: refuse system call number `nr` with
/// `errno`, allow every other one — but kill a process that calls in with another
/// architecture's numbering (a 32-bit call could otherwise slip past a 64-bit number check).
pub fn refuse_one(nr: i64, errno: i32) -> Filter {
    // exercise 07.3 seccomp-filter: begin
    use op::*;
    let stmt = |code, k| Instruction {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code, k, jt, jf| Instruction { code, jt, jf, k };
    Filter::new(vec![
        stmt(LD_W_ABS, OFFSET_ARCH),                      // A = data.arch
        jump(JEQ_K, AUDIT_ARCH_NATIVE, 1, 0),             // native? skip the kill
        stmt(RET_K, RET_KILL_PROCESS),                    // foreign ABI: kill
        stmt(LD_W_ABS, OFFSET_NR),                        // A = data.nr
        jump(JEQ_K, nr as u32, 0, 1),                     // the refused call? else skip one
        stmt(RET_K, RET_ERRNO | (errno as u32 & 0xffff)), // fail it with errno
        stmt(RET_K, RET_ALLOW),                           // everything else runs
    ])
    // exercise 07.3: end
}
// ANCHOR_END: refuse_one

/// Sets `no_new_privs` and installs `filter` on the calling thread: what a test or a step
/// does in a child that will call into the kernel right after.
pub fn install_with_no_new_privs(filter: &Filter) -> Result<()> {
    crate::no_new_privs::set()?;
    filter
        .install()
        .map_err(crate::error::sys("seccomp(SECCOMP_SET_MODE_FILTER)"))
}

#[cfg(test)]
mod tests {
    use super::{Filter, refuse_one};

    #[test]
    fn a_filter_survives_its_bytes() {
        let filter = refuse_one(libc::SYS_sethostname, libc::EPERM);
        let bytes = filter.to_bytes();
        assert_eq!(bytes.len(), filter.instructions().len() * 8);
        assert_eq!(Filter::from_bytes(&bytes), filter);
    }
}
