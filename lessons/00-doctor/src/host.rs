//! Root or not, and the kernel version (uname(2)).

use crate::check::{Check, Requirement};
use nix::sys::utsname::uname;
use nix::unistd::{geteuid, getuid};

/// The oldest kernel the kit supports: pidfd_open(2) (5.3), which the doctor and the capstone
/// engine use to wait on a process with a deadline. Everything else the lessons call is older:
/// cgroup namespaces (4.6), the cgroup v2 cpu controller (4.15), overlayfs (3.18), veth, bridges.
pub const MINIMUM_KERNEL: (u32, u32) = (5, 3);

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
            "check `uname -r`; the kit needs Linux 5.3 or newer",
        );
    };
    let (min, rec) = (MINIMUM_KERNEL, RECOMMENDED_KERNEL);
    if version < min {
        return Check::missing(
            "kernel",
            Requirement::Required,
            why,
            format!("Linux {release} is older than {}.{}", min.0, min.1),
            format!(
                "upgrade to Linux {}.{} or newer (Debian 11+, Ubuntu 20.04+ ship one)",
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
    Check::pass(
        "kernel",
        Requirement::Required,
        why,
        format!("Linux {release} (need ≥ {}.{}){note}", min.0, min.1),
    )
    .detail(format!(
        "{}.{}: pidfd_open(2), used by the doctor and the capstone; {}.{}: cgroup.kill and memory.peak",
        min.0, min.1, rec.0, rec.1
    ))
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
    }
}
