//! Root or not, and the kernel version (uname(2)).

use crate::check::{Check, Requirement};
use nix::sys::utsname::uname;
use nix::unistd::{geteuid, getuid};

/// The oldest kernel the kit supports: the newest of [`KERNEL_NEEDS`]. Everything else the
/// lessons call is older: cgroup namespaces (4.6), the cgroup v2 cpu controller (4.15),
/// overlayfs (3.18), veth, bridges.
pub const MINIMUM_KERNEL: (u32, u32) = (5, 11);

/// A system call the kit makes that a kernel gained recently, and who makes it.
#[derive(Debug, Clone, Copy)]
pub struct KernelNeed {
    /// The call, as its man page names it.
    pub call: &'static str,
    /// The (major, minor) kernel version that brought it.
    pub since: (u32, u32),
    /// Who makes the call, and why.
    pub used_by: &'static str,
}

/// The system calls that set [`MINIMUM_KERNEL`], newest first.
pub const KERNEL_NEEDS: [KernelNeed; 3] = [
    KernelNeed {
        call: "close_range(2) with CLOSE_RANGE_CLOEXEC",
        since: (5, 11),
        used_by: "the capstone, to keep its own descriptors out of a container",
    },
    KernelNeed {
        call: "openat2(2) with RESOLVE_IN_ROOT",
        since: (5, 6),
        used_by: "lesson 04 and the capstone, to resolve paths inside an image's root",
    },
    KernelNeed {
        call: "pidfd_open(2)",
        since: (5, 3),
        used_by: "the doctor and the capstone, to wait on a process with a deadline",
    },
];

/// The kernel from which every optional cgroup v2 file lesson 02 shows exists:
/// `cgroup.kill` (5.14) and `memory.peak` (5.19).
pub const RECOMMENDED_KERNEL: (u32, u32) = (5, 19);

const WHY_ROOT: &str = "namespaces, mounts, cgroups and network devices need CAP_SYS_ADMIN and \
     CAP_NET_ADMIN; the kit's cargo runner (scripts/as-root) runs binaries through sudo when you \
     are not root";
const WHY_KERNEL: &str = "the kernel is the container runtime: every lesson calls it directly";

/// Root or not: the effective uid (geteuid(2)). Not root is fine when `sudo` exists, because
/// the kit's cargo runner elevates through it; then the proofs that need root are skipped.
pub fn privileges() -> Check {
    let euid = geteuid();
    if euid.is_root() {
        let how = match std::env::var("SUDO_USER") {
            Ok(user) => format!("running as root (euid 0, through sudo from {user})"),
            Err(_) => "running as root (euid 0)".to_string(),
        };
        return Check::pass("root", Requirement::Required, WHY_ROOT, how);
    }
    match crate::tools::find_program("sudo") {
        Some(sudo) => Check::pass(
            "root",
            Requirement::Required,
            WHY_ROOT,
            format!(
                "not root (euid {euid}, uid {}), but sudo is available: the kit's runner uses it; \
                 run `cargo doctor` to prove every check as root",
                getuid()
            ),
        )
        .detail(format!("sudo: {}", sudo.display())),
        None => Check::missing(
            "root",
            Requirement::Required,
            WHY_ROOT,
            format!("not root (euid {euid}) and no sudo to become root"),
            "run the kit as root, or install sudo (`apt-get install sudo` as root) and add \
             yourself to the sudo group",
        ),
    }
}

/// The running kernel's release (uname(2)), compared with [`MINIMUM_KERNEL`].
pub fn kernel() -> Check {
    let why = WHY_KERNEL;
    let release = match uname() {
        Ok(u) => u.release().to_string_lossy().into_owned(),
        Err(e) => {
            return Check::missing(
                "kernel",
                Requirement::Required,
                why,
                format!("uname(2) failed: {e}"),
                "this does not look like Linux: the kit needs a Linux kernel",
            );
        }
    };
    let Some(version) = parse_release(&release) else {
        return Check::missing(
            "kernel",
            Requirement::Required,
            why,
            format!("cannot read a version from the kernel release {release:?}"),
            format!(
                "check `uname -r`; the kit needs Linux {}.{} or newer",
                MINIMUM_KERNEL.0, MINIMUM_KERNEL.1
            ),
        );
    };
    let (min, rec) = (MINIMUM_KERNEL, RECOMMENDED_KERNEL);
    if version < min {
        return Check::missing(
            "kernel",
            Requirement::Required,
            why,
            format!(
                "Linux {release} is older than {}.{}: it lacks {}",
                min.0,
                min.1,
                lacking(version)
            ),
            format!(
                "upgrade to Linux {}.{} or newer (Debian 12, Ubuntu 22.04 and Fedora 34 ship one)",
                min.0, min.1
            ),
        );
    }
    let note = if version < rec {
        format!(
            "; below {}.{}: cgroup v2 lacks cgroup.kill or memory.peak, lesson 02 skips them",
            rec.0, rec.1
        )
    } else {
        String::new()
    };
    let newest = KERNEL_NEEDS[0];
    let mut check = Check::pass(
        "kernel",
        Requirement::Required,
        why,
        format!(
            "Linux {release} (need ≥ {}.{} for {}){note}",
            min.0, min.1, newest.call
        ),
    );
    for need in KERNEL_NEEDS {
        let (major, minor) = need.since;
        check = check.detail(format!(
            "{major}.{minor}: {}, used by {}",
            need.call, need.used_by
        ));
    }
    check.detail(format!(
        "{}.{}: cgroup.kill and memory.peak, which lesson 02 shows where they exist",
        rec.0, rec.1
    ))
}

/// The calls of [`KERNEL_NEEDS`] that a kernel of `version` lacks, each with who needs it.
fn lacking(version: (u32, u32)) -> String {
    let lacking: Vec<String> = KERNEL_NEEDS
        .iter()
        .filter(|need| version < need.since)
        .map(|need| {
            let (major, minor) = need.since;
            format!("{} ({major}.{minor}), used by {}", need.call, need.used_by)
        })
        .collect();
    lacking.join("; ")
}

/// The (major, minor) version at the start of a kernel release like `6.18.44-fc-v782`.
pub fn parse_release(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::parse_release;

    #[test]
    fn kernel_release_strings_give_major_and_minor() {
        assert_eq!(parse_release("6.18.44-fc-v782"), Some((6, 18)));
        assert_eq!(parse_release("5.4.0-150-generic"), Some((5, 4)));
        assert_eq!(parse_release("6.1.0-56-amd64"), Some((6, 1)));
        assert_eq!(parse_release("5.10"), Some((5, 10)));
        assert_eq!(parse_release("garbage"), None);
        assert!(parse_release("4.19.0").unwrap() < super::MINIMUM_KERNEL);
        assert!(parse_release("5.10.0-28-amd64").unwrap() < super::MINIMUM_KERNEL);
    }

    #[test]
    fn the_minimum_is_the_newest_call_the_kit_makes() {
        let newest = super::KERNEL_NEEDS.iter().map(|n| n.since).max();
        assert_eq!(newest, Some(super::MINIMUM_KERNEL));
    }

    #[test]
    fn an_old_kernel_is_told_which_calls_it_lacks() {
        let lacking = super::lacking((5, 4));
        assert!(
            lacking.contains("close_range(2)") && lacking.contains("openat2(2)"),
            "{lacking}"
        );
        assert!(
            !lacking.contains("pidfd_open"),
            "5.4 has pidfd_open: {lacking}"
        );
    }
}
