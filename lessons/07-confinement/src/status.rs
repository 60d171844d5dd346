//! The kernel's view of a process's confinement, read from `/proc/PID/status` (proc(5)):
//! the five capability sets, `NoNewPrivs`, and the seccomp mode and filter count.
//! Every step shows its effect with this, and every test checks it.

use crate::error::io;
use crate::{Result, capabilities::CapSet5};
use caps::CapsHashSet;

/// The confinement fields of `/proc/PID/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `CapInh`, `CapPrm`, `CapEff`, `CapBnd`, `CapAmb`.
    pub caps: CapSet5,
    /// `NoNewPrivs`: 1 once prctl(PR_SET_NO_NEW_PRIVS) was called (or inherited).
    pub no_new_privs: bool,
    /// `Seccomp`: 0 off, 1 strict, 2 filter mode (seccomp(2)).
    pub seccomp_mode: u32,
    /// `Seccomp_filters`: how many filters are attached (Linux 5.9 and later).
    pub seccomp_filters: Option<u32>,
}

impl Status {
    /// Reads `/proc/PID/status` of `pid` (`None`: this process, via `/proc/self`).
    pub fn of(pid: Option<i32>) -> Result<Status> {
        let path = match pid {
            Some(pid) => format!("/proc/{pid}/status"),
            None => "/proc/self/status".into(),
        };
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        Ok(Status::parse(&text))
    }

    /// Parses the text of a status file; fields this kernel does not show read as empty/zero.
    pub fn parse(text: &str) -> Status {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let mask = |name: &str| -> CapsHashSet {
            let bits = field(name)
                .and_then(|v| u64::from_str_radix(v, 16).ok())
                .unwrap_or(0);
            caps::all()
                .into_iter()
                .filter(|c| bits & c.bitmask() != 0)
                .collect()
        };
        Status {
            caps: CapSet5 {
                inheritable: mask("CapInh"),
                permitted: mask("CapPrm"),
                effective: mask("CapEff"),
                bounding: mask("CapBnd"),
                ambient: mask("CapAmb"),
            },
            no_new_privs: field("NoNewPrivs") == Some("1"),
            seccomp_mode: field("Seccomp").and_then(|v| v.parse().ok()).unwrap_or(0),
            seccomp_filters: field("Seccomp_filters").and_then(|v| v.parse().ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caps::Capability;

    #[test]
    fn parses_the_confinement_lines_of_a_status_file() {
        let text = "Name:\tsh\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n\
                    CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n\
                    NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n";
        let status = Status::parse(text);
        assert_eq!(status.caps.effective.len(), 14);
        assert!(status.caps.bounding.contains(&Capability::CAP_CHOWN));
        assert!(!status.caps.bounding.contains(&Capability::CAP_SYS_ADMIN));
        assert!(status.caps.ambient.is_empty());
        assert!(status.no_new_privs);
        assert_eq!((status.seccomp_mode, status.seccomp_filters), (2, Some(1)));
    }
}
