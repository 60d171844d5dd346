//! Device rules: which device nodes a container may create (mknod(2)) and open. Namespaces do
//! not cover devices — a root process with `CAP_MKNOD` can make `/dev/sda` anywhere and, if
//! allowed to open it, read the host's disk. The cgroup device controller decides, at mknod(2)
//! and open(2), by type (char/block), major and minor number, and access (read, write, mknod):
//!
//! - cgroup v1: a `devices` hierarchy with `devices.deny` and `devices.allow` files ([`v1`]);
//! - cgroup v2: no files at all — a BPF program of type `BPF_PROG_TYPE_CGROUP_DEVICE`
//!   attached to the cgroup answers each question ([`bpf`]), as runc and crun attach.
//!
//! Docker denies everything, then allows mknod of any device (the node is harmless until it
//! is opened) and read/write of a short list: null, zero, full, random, urandom, tty, ptmx,
//! the pseudo-terminals, tun.

pub mod bpf;
pub mod cgroup;
pub mod v1;

pub use cgroup::DeviceCgroup;

/// Which devices a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every device (`a`).
    All,
    /// Character devices (`c`).
    Char,
    /// Block devices (`b`).
    Block,
}

/// Access bits, as the kernel numbers them for BPF (`BPF_DEVCG_ACC_*` in `<linux/bpf.h>`).
pub mod access {
    /// Create the node with mknod(2).
    pub const MKNOD: u32 = 1;
    /// Open for reading.
    pub const READ: u32 = 2;
    /// Open for writing.
    pub const WRITE: u32 = 4;
    /// All three (`rwm`).
    pub const ALL: u32 = MKNOD | READ | WRITE;
}

/// One rule: allow (or deny) `access` to devices of `kind` with these numbers (`None`: any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Allow or deny.
    pub allow: bool,
    /// Char, block or all.
    pub kind: Kind,
    /// Major number (`None`: `*`).
    pub major: Option<u32>,
    /// Minor number (`None`: `*`).
    pub minor: Option<u32>,
    /// [`access`] bits.
    pub access: u32,
}

impl Rule {
    /// A rule allowing `access` to character device `major:minor`.
    pub const fn allow_char(major: Option<u32>, minor: Option<u32>, access: u32) -> Rule {
        Rule {
            allow: true,
            kind: Kind::Char,
            major,
            minor,
            access,
        }
    }

    /// A rule allowing mknod(2) of any device of `kind` (the node is harmless until opened).
    pub const fn mknod_any(kind: Kind) -> Rule {
        Rule {
            allow: true,
            kind,
            major: None,
            minor: None,
            access: access::MKNOD,
        }
    }

    /// The rule in cgroup v1's syntax, e.g. `c 1:3 rwm` or `a *:* rwm`.
    pub fn to_v1(&self) -> String {
        let kind = match self.kind {
            Kind::All => "a",
            Kind::Char => "c",
            Kind::Block => "b",
        };
        let num = |n: Option<u32>| n.map_or("*".to_string(), |n| n.to_string());
        let mut access = String::new();
        for (bit, letter) in [
            (access::READ, 'r'),
            (access::WRITE, 'w'),
            (access::MKNOD, 'm'),
        ] {
            if self.access & bit != 0 {
                access.push(letter);
            }
        }
        format!("{kind} {}:{} {access}", num(self.major), num(self.minor))
    }
}

// ANCHOR: docker_rules
/// Docker's default device rules, after an implicit "deny everything" (runc's
/// `AllowedDevices`): mknod of anything, and read/write of the harmless devices.
pub const DOCKER_DEFAULT: [Rule; 11] = [
    Rule::mknod_any(Kind::Char),
    Rule::mknod_any(Kind::Block),
    Rule::allow_char(Some(1), Some(3), access::ALL), // /dev/null
    Rule::allow_char(Some(1), Some(5), access::ALL), // /dev/zero
    Rule::allow_char(Some(1), Some(7), access::ALL), // /dev/full
    Rule::allow_char(Some(1), Some(8), access::ALL), // /dev/random
    Rule::allow_char(Some(1), Some(9), access::ALL), // /dev/urandom
    Rule::allow_char(Some(5), Some(0), access::ALL), // /dev/tty
    Rule::allow_char(Some(5), Some(2), access::ALL), // /dev/ptmx
    Rule::allow_char(Some(136), None, access::ALL),  // /dev/pts/*
    Rule::allow_char(Some(10), Some(200), access::ALL), // /dev/net/tun
];
// ANCHOR_END: docker_rules

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_print_in_v1_syntax() {
        assert_eq!(DOCKER_DEFAULT[0].to_v1(), "c *:* m");
        assert_eq!(DOCKER_DEFAULT[2].to_v1(), "c 1:3 rwm");
        assert_eq!(DOCKER_DEFAULT[9].to_v1(), "c 136:* rwm");
    }
}
