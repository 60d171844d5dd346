//! cgroup v2 device rules: a small eBPF program (bpf(2), `BPF_PROG_TYPE_CGROUP_DEVICE`) that
//! the kernel runs at every mknod(2) and device open(2) of a process in the cgroup. Its input
//! is `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }` (`access_type`
//! is `access << 16 | type`); it returns 1 to allow, 0 to refuse with `EPERM`.
//!
//! runc generates such a program with a BPF assembler, crun writes the instructions out in
//! C; we assemble the few instructions by hand too, because reading them is the lesson: one
//! block of four to eight instructions per rule, then "deny".

use super::{Kind, Rule, access};
use crate::{Error, Result};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

/// One eBPF instruction (`struct bpf_insn`): opcode, destination and source registers (4
/// bits each), a 16-bit offset and a 32-bit constant.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// Opcode.
    pub code: u8,
    /// `dst | src << 4`.
    pub regs: u8,
    /// Jump distance or memory offset.
    pub off: i16,
    /// Constant.
    pub imm: i32,
}

// The opcodes used below (`<linux/bpf.h>`, `<linux/bpf_common.h>`).
const LDX_MEM_W: u8 = 0x61; // dst = *(u32 *)(src + off)
const ALU32_AND_K: u8 = 0x54; // dst &= imm
const ALU32_RSH_K: u8 = 0x74; // dst >>= imm
const ALU32_MOV_X: u8 = 0xbc; // dst = src
const ALU64_MOV_K: u8 = 0xb7; // dst = imm
const JNE_K: u8 = 0x55; // if dst != imm: skip off
const JNE_X: u8 = 0x5d; // if dst != src: skip off
const EXIT: u8 = 0x95; // return r0

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        regs: dst | (src << 4),
        off,
        imm,
    }
}

// ANCHOR: assemble
/// Assembles the program for `rules` after an implicit "deny everything". The last matching
/// rule wins, as in runc, so the blocks are emitted last rule first. Registers: r1 the
/// context, r2 the device type, r3 the requested access, r4 major, r5 minor.
pub fn assemble(rules: &[Rule]) -> Vec<Insn> {
    let mut prog = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),        // r2 = ctx->access_type
        insn(ALU32_AND_K, 2, 0, 0, 0xffff), // r2 &= 0xffff: the type (1 block, 2 char)
        insn(LDX_MEM_W, 3, 1, 0, 0),        // r3 = ctx->access_type
        insn(ALU32_RSH_K, 3, 0, 0, 16),     // r3 >>= 16: the access asked for
        insn(LDX_MEM_W, 4, 1, 4, 0),        // r4 = ctx->major
        insn(LDX_MEM_W, 5, 1, 8, 0),        // r5 = ctx->minor
    ];
    for rule in rules.iter().rev() {
        // Each test jumps past the rest of this block when it fails: collect the tests first,
        // then fill in the distances.
        let mut tests: Vec<Vec<Insn>> = Vec::new();
        match rule.kind {
            Kind::All => {}
            Kind::Char => tests.push(vec![insn(JNE_K, 2, 0, 0, 2)]),
            Kind::Block => tests.push(vec![insn(JNE_K, 2, 0, 0, 1)]),
        }
        if rule.access != access::ALL {
            // Asked-for access must be a subset of the rule's: (r3 & access) == r3.
            tests.push(vec![
                insn(ALU32_MOV_X, 1, 3, 0, 0),
                insn(ALU32_AND_K, 1, 0, 0, rule.access as i32),
                insn(JNE_X, 1, 3, 0, 0),
            ]);
        }
        if let Some(major) = rule.major {
            tests.push(vec![insn(JNE_K, 4, 0, 0, major as i32)]);
        }
        if let Some(minor) = rule.minor {
            tests.push(vec![insn(JNE_K, 5, 0, 0, minor as i32)]);
        }
        let verdict = [
            insn(ALU64_MOV_K, 0, 0, 0, rule.allow as i32),
            insn(EXIT, 0, 0, 0, 0),
        ];
        let mut remaining: usize = tests.iter().map(Vec::len).sum::<usize>() + verdict.len();
        for mut test in tests {
            remaining -= test.len();
            let jump = test.last_mut().expect("a test ends with its jump");
            jump.off = remaining as i16; // skip the rest of the block
            prog.extend(test);
        }
        prog.extend(verdict);
    }
    prog.push(insn(ALU64_MOV_K, 0, 0, 0, 0)); // no rule matched: deny
    prog.push(insn(EXIT, 0, 0, 0, 0));
    prog
}
// ANCHOR_END: assemble

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
const BPF_PROG_QUERY: libc::c_long = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
const BPF_F_ALLOW_MULTI: u32 = 2;

/// The leading fields of `union bpf_attr` for `BPF_PROG_LOAD`; the rest stays zero (the
/// kernel accepts a longer attribute whose unknown tail is zero).
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    tail: [u64; 12],
}

/// `union bpf_attr` for `BPF_PROG_ATTACH` and `BPF_PROG_QUERY`.
#[repr(C)]
#[derive(Default)]
struct CgroupAttr {
    target_fd: u32,
    bpf_fd_or_attach_type: u32,
    attach_type_or_query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
    tail: [u32; 11],
}

fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> std::result::Result<libc::c_long, nix::Error> {
    // SAFETY: `attr` is a properly sized, initialised `union bpf_attr` prefix for `cmd`; the
    // pointers inside it (program, license, log) point at live buffers for the whole call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut T,
            std::mem::size_of::<T>() as u32,
        )
    };
    if rc < 0 {
        Err(nix::Error::last())
    } else {
        Ok(rc)
    }
}

// ANCHOR: attach
/// Loads `program` (bpf(2) `BPF_PROG_LOAD`, the verifier checks it) and attaches it to the
/// cgroup directory `dir` as its device program (`BPF_PROG_ATTACH`, `BPF_CGROUP_DEVICE`,
/// with `BPF_F_ALLOW_MULTI` so programs of parent cgroups keep running too: the device is
/// allowed only if every one of them allows it). The cgroup keeps the program alive.
pub fn attach(dir: &Path, program: &[Insn]) -> Result<()> {
    let license = c"Apache-2.0";
    let mut log = vec![0u8; 16 * 1024];
    let mut load = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: program.len() as u32,
        insns: program.as_ptr() as u64,
        license: license.as_ptr() as u64,
        log_level: 1,
        log_size: log.len() as u32,
        log_buf: log.as_mut_ptr() as u64,
        ..Default::default()
    };
    let prog_fd = bpf(BPF_PROG_LOAD, &mut load).map_err(|e| {
        let text = String::from_utf8_lossy(&log);
        Error::Devices(format!(
            "the kernel refused the device program (bpf BPF_PROG_LOAD: {e}); verifier says: {}",
            text.trim_end_matches('\0').trim()
        ))
    })?;
    // SAFETY: BPF_PROG_LOAD returned a new descriptor that nothing else owns.
    let prog_fd = unsafe { OwnedFd::from_raw_fd(prog_fd as i32) };
    let cgroup = std::fs::File::open(dir).map_err(crate::error::io(dir))?;
    let mut attach = CgroupAttr {
        target_fd: cgroup.as_raw_fd() as u32,
        bpf_fd_or_attach_type: prog_fd.as_raw_fd() as u32,
        attach_type_or_query_flags: BPF_CGROUP_DEVICE,
        attach_flags: BPF_F_ALLOW_MULTI,
        ..Default::default()
    };
    bpf(BPF_PROG_ATTACH, &mut attach).map_err(|e| {
        Error::Devices(format!(
            "attaching the device program to {}: {e}",
            dir.display()
        ))
    })?;
    Ok(())
}
// ANCHOR_END: attach

/// How many device programs are attached to the cgroup directory `dir` itself
/// (bpf(2) `BPF_PROG_QUERY`) — what `bpftool cgroup show DIR` lists.
pub fn attached(dir: &Path) -> Result<u32> {
    let cgroup = std::fs::File::open(dir).map_err(crate::error::io(dir))?;
    let mut query = CgroupAttr {
        target_fd: cgroup.as_raw_fd() as u32,
        bpf_fd_or_attach_type: BPF_CGROUP_DEVICE,
        ..Default::default()
    };
    bpf(BPF_PROG_QUERY, &mut query)
        .map_err(|e| Error::Devices(format!("querying {}: {e}", dir.display())))?;
    Ok(query.prog_cnt)
}
