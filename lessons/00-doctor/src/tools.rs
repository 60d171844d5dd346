//! The programs the lessons, the tests and the book call, and which Debian package has each.
//!
//! A program is found the way execvp(3) finds it — the first executable file of that name in
//! a `PATH` directory — plus the sbin directories (runc, ip and nft live there and are often
//! not on an ordinary user's `PATH`) and `~/.cargo/bin` (mdbook). busybox must also be
//! *statically* linked: it is copied into containers' root filesystems, where the host's
//! shared libraries do not exist. We read its ELF program headers (elf(5)): a dynamically
//! linked program has a `PT_INTERP` header naming its loader, a static one does not.

use crate::check::{Check, Requirement};
use crate::elf::is_static_elf;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One program the kit calls.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    /// The program's file name.
    pub program: &'static str,
    /// The Debian package that installs it.
    pub package: &'static str,
    /// Required (the lessons' steps or tests call it) or optional (cross-checks, comparisons).
    pub requirement: Requirement,
    /// What the kit uses it for.
    pub purpose: &'static str,
}

const fn tool(
    program: &'static str,
    package: &'static str,
    requirement: Requirement,
    purpose: &'static str,
) -> Tool {
    Tool {
        program,
        package,
        requirement,
        purpose,
    }
}

/// Every program the kit calls, required ones first.
pub const TOOLS: [Tool; 11] = {
    use Requirement::{Optional, Required};
    [
        tool(
            "busybox",
            "busybox-static",
            Required,
            "the whole userland of the lessons' container root filesystems and test images",
        ),
        tool(
            "ip",
            "iproute2",
            Required,
            "shows (and lets tests check) the links, addresses and routes lesson 06 makes",
        ),
        tool(
            "nft",
            "nftables",
            Required,
            "NAT and port publishing in lesson 06",
        ),
        tool(
            "skopeo",
            "skopeo",
            Optional,
            "copies images between registries and OCI layouts: cross-checks lessons 04-05",
        ),
        tool(
            "umoci",
            "umoci",
            Optional,
            "unpacks and builds OCI images: cross-checks lesson 04",
        ),
        tool(
            "docker-registry",
            "docker-registry",
            Optional,
            "the reference registry: lesson 05's tests and a classroom registry",
        ),
        tool(
            "runc",
            "runc",
            Optional,
            "a reference OCI runtime to compare behaviour and speed with",
        ),
        tool(
            "crun",
            "crun",
            Optional,
            "a second OCI runtime to compare with (it refuses hybrid cgroups)",
        ),
        tool(
            "qemu-system-x86_64",
            "qemu-system-x86",
            Optional,
            "boots the VM of the containers-vs-VMs chapter",
        ),
        tool(
            "iptables",
            "iptables",
            Optional,
            "the older firewall front end, to cross-check lesson 06's rules",
        ),
        tool(
            "mdbook",
            "mdbook (cargo install)",
            Optional,
            "builds this book locally",
        ),
    ]
};

/// Where busybox-static puts its binary, and where lesson 01 copies it from.
pub const BUSYBOX: &str = "/bin/busybox";

/// One check per program in [`TOOLS`].
pub fn checks() -> Vec<Check> {
    TOOLS.iter().map(check).collect()
}

/// Is `tool` installed (and for busybox, statically linked)?
pub fn check(tool: &Tool) -> Check {
    let found = if tool.program == "busybox" {
        Some(PathBuf::from(BUSYBOX)).filter(|p| is_executable(p))
    } else {
        find_program(tool.program)
    };
    check_found(tool, found)
}

/// The check for `tool`, given where (if anywhere) it was found.
pub fn check_found(tool: &Tool, found: Option<PathBuf>) -> Check {
    let id = format!("tool:{}", tool.program);
    let fix = match tool.program {
        "mdbook" => {
            "`cargo install mdbook --version 0.4.52 --locked` (or `sudo scripts/setup-host.sh`)"
                .to_string()
        }
        _ => format!("`sudo scripts/setup-host.sh` (installs {})", tool.package),
    };
    let Some(path) = found else {
        let what = if tool.program == "busybox" {
            BUSYBOX
        } else {
            tool.program
        };
        return Check::missing(
            &id,
            tool.requirement,
            tool.purpose,
            format!("{what} not found"),
            fix,
        );
    };
    if tool.program == "busybox" {
        return match is_static_elf(&path) {
            Ok(true) => Check::pass(
                &id,
                tool.requirement,
                tool.purpose,
                format!("{} (statically linked)", path.display()),
            ),
            Ok(false) => Check::missing(
                &id,
                tool.requirement,
                tool.purpose,
                format!(
                    "{} is dynamically linked: it cannot run inside a container's root filesystem",
                    path.display()
                ),
                "`sudo apt-get install busybox-static` (it replaces the dynamic busybox package)",
            ),
            Err(e) => Check::missing(&id, tool.requirement, tool.purpose, e.to_string(), fix),
        };
    }
    Check::pass(
        &id,
        tool.requirement,
        tool.purpose,
        path.display().to_string(),
    )
}

/// The first executable `name` in `PATH`, the sbin directories, or `~/.cargo/bin`.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for d in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        dirs.push(PathBuf::from(d));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    // Under sudo, HOME may be root's: also look in the invoking user's ~/.cargo/bin.
    if let Ok(Some(user)) =
        std::env::var("SUDO_USER").map(|u| nix::unistd::User::from_name(&u).ok().flatten())
    {
        dirs.push(user.dir.join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_busybox_is_a_required_failure_with_the_static_package_as_fix() {
        let busybox = TOOLS.iter().find(|t| t.program == "busybox").unwrap();
        let check = check_found(busybox, Some(std::fs::canonicalize("/bin/sh").unwrap()));
        assert!(check.blocks(), "{check:?}");
        assert_eq!(check.symbol(), '✗');
        assert!(
            check.summary.contains("dynamically linked"),
            "{}",
            check.summary
        );
        assert!(check.fix.unwrap().contains("busybox-static"));
    }

    #[test]
    fn a_missing_optional_program_warns_and_names_its_package() {
        let qemu = TOOLS
            .iter()
            .find(|t| t.program == "qemu-system-x86_64")
            .unwrap();
        let check = check_found(qemu, None);
        assert!(!check.blocks());
        assert_eq!(check.symbol(), '!');
        assert_eq!(check.summary, "qemu-system-x86_64 not found");
        assert!(check.fix.unwrap().contains("installs qemu-system-x86"));
    }
}
