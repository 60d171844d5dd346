//! Unprivileged user namespaces (user_namespaces(7)): may an ordinary user become root inside
//! a namespace of their own? That is how rootless containers work, and what lesson 01's
//! user-namespace step shows.
//!
//! Distributions control it with three sysctls:
//! `kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 23.10+: the namespace is created but
//! AppArmor withholds its capabilities), `kernel.unprivileged_userns_clone` (older Debian) and
//! `user.max_user_namespaces` (everywhere; 0 forbids them). The sysctls explain; a forked child
//! that becomes `nobody` and tries proves.

use crate::check::{Check, Requirement};
use crate::child::{Ended, describe, run_probe};
use std::time::Duration;

/// The uid an unprivileged probe runs as: `nobody`.
const NOBODY: u32 = 65534;

const WHY_USERNS: &str = "lesson 01's user-namespace step and rootless containers run as an \
     ordinary user; everything else runs as root";

/// Can an unprivileged user create a user namespace and use its capabilities?
pub fn unprivileged_user() -> Check {
    let restriction = sysctl_restriction();
    let probe = probe_as_unprivileged();
    let (id, req) = ("userns-unprivileged", Requirement::Optional);
    match (probe, restriction) {
        (Ok(who), None) => Check::pass(
            id,
            req,
            WHY_USERNS,
            format!("{who} made a user namespace, mapped uid 0 and used CAP_SYS_ADMIN inside"),
        ),
        (Ok(who), Some((what, fix))) => Check::missing(
            id,
            req,
            WHY_USERNS,
            format!("{what} (though {who} succeeded in a probe)"),
            fix,
        ),
        (Err(e), Some((what, fix))) => Check::missing(id, req, WHY_USERNS, what, fix).detail(e),
        (Err(e), None) => Check::missing(
            id,
            req,
            WHY_USERNS,
            e,
            "check `dmesg` for an LSM denial; the user-namespace step of lesson 01 then runs \
             as root only",
        ),
    }
}

/// Which sysctl forbids unprivileged user namespaces here, and the command that allows them.
pub fn sysctl_restriction() -> Option<(String, String)> {
    restriction_from(|name: &str| {
        let path = format!("/proc/sys/{}", name.replace('.', "/"));
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
    })
}

/// [`sysctl_restriction`] over any source of sysctl values (`read("user.max_user_namespaces")`
/// gives `Some("15000")`, or `None` when this kernel has no such sysctl).
pub fn restriction_from(read: impl Fn(&str) -> Option<String>) -> Option<(String, String)> {
    let rules = [
        (
            "kernel.apparmor_restrict_unprivileged_userns",
            "1",
            "0",
            "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+)",
        ),
        (
            "kernel.unprivileged_userns_clone",
            "0",
            "1",
            "unprivileged user namespaces are disabled (Debian's kernel.unprivileged_userns_clone=0)",
        ),
        (
            "user.max_user_namespaces",
            "0",
            "15000",
            "user namespaces are disabled (user.max_user_namespaces=0)",
        ),
    ];
    rules
        .iter()
        .find(|(name, bad, _, _)| read(name).as_deref() == Some(*bad))
        .map(|(name, _, good, what)| {
            (
                what.to_string(),
                format!(
                    "`sudo sysctl -w {name}={good}`; to keep it after a reboot: \
                 `echo {name}={good} | sudo tee /etc/sysctl.d/60-lab-userns.conf`"
                ),
            )
        })
}

/// In a child: drop to `nobody` (when root), unshare(CLONE_NEWUSER), map uid 0 to ourselves
/// in `/proc/self/uid_map`, then unshare(CLONE_NEWUTS), which needs CAP_SYS_ADMIN in the new
/// user namespace — the step AppArmor's restriction denies.
fn probe_as_unprivileged() -> Result<String, String> {
    let root = nix::unistd::geteuid().is_root();
    let uid = if root {
        NOBODY
    } else {
        nix::unistd::geteuid().as_raw()
    };
    // Prepared before fork(2): the child may not allocate.
    let map_line = format!("0 {uid} 1\n");
    let map_path = c"/proc/self/uid_map";
    let probe = run_probe("user namespace probe", Duration::from_secs(5), || {
        // SAFETY: plain system calls on values prepared before the fork.
        unsafe {
            if root
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setresgid(NOBODY, NOBODY, NOBODY) != 0
                    || libc::setresuid(NOBODY, NOBODY, NOBODY) != 0)
            {
                return 10;
            }
            // Why: changing uid made us non-dumpable, which makes /proc/self/* owned by root
            // and the uid_map below unwritable; an ordinary user's process is dumpable.
            if root && libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 {
                return 10;
            }
            // ANCHOR: userns-probe
            if libc::unshare(libc::CLONE_NEWUSER) != 0 {
                return 1;
            }
            let fd = libc::open(map_path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            let len = map_line.len();
            if fd < 0 || libc::write(fd, map_line.as_ptr().cast(), len) != len as isize {
                return 2;
            }
            if libc::unshare(libc::CLONE_NEWUTS) != 0 {
                return 3;
            }
            // ANCHOR_END: userns-probe
        }
        0
    });
    let who = if root {
        "uid 65534 (nobody)".to_string()
    } else {
        format!("uid {uid}")
    };
    match probe {
        Ok(Ended::Exited(0)) => Ok(who),
        Ok(Ended::Exited(10)) => Err("could not drop to uid 65534 to test".into()),
        Ok(Ended::Exited(1)) => Err(format!("{who}: unshare(CLONE_NEWUSER) was refused")),
        Ok(Ended::Exited(2)) => Err(format!("{who}: writing /proc/self/uid_map was refused")),
        Ok(Ended::Exited(3)) => Err(format!(
            "{who}: the new user namespace has no CAP_SYS_ADMIN (unshare(CLONE_NEWUTS) refused)"
        )),
        other => Err(describe(&other)),
    }
}

#[cfg(test)]
mod tests {
    use super::restriction_from;

    fn sysctls(set: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let set: Vec<(String, String)> = set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| set.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn ubuntu_apparmor_restriction_is_explained_with_its_sysctl() {
        let (what, fix) = restriction_from(sysctls(&[
            ("kernel.apparmor_restrict_unprivileged_userns", "1"),
            ("user.max_user_namespaces", "63000"),
        ]))
        .unwrap();
        assert!(what.contains("AppArmor"), "{what}");
        assert!(fix.starts_with("`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`"));
        assert!(fix.contains("/etc/sysctl.d/"), "{fix}");
    }

    #[test]
    fn old_debian_switch_and_zero_namespace_limit_are_each_explained() {
        let debian = restriction_from(sysctls(&[("kernel.unprivileged_userns_clone", "0")]));
        assert!(
            debian
                .unwrap()
                .1
                .contains("kernel.unprivileged_userns_clone=1")
        );
        let limit = restriction_from(sysctls(&[("user.max_user_namespaces", "0")]));
        assert!(limit.unwrap().1.contains("user.max_user_namespaces=15000"));
    }

    #[test]
    fn permissive_or_absent_sysctls_mean_no_restriction() {
        let allowed = sysctls(&[
            ("kernel.apparmor_restrict_unprivileged_userns", "0"),
            ("kernel.unprivileged_userns_clone", "1"),
            ("user.max_user_namespaces", "96364"),
        ]);
        assert_eq!(restriction_from(allowed), None);
        assert_eq!(restriction_from(sysctls(&[])), None);
    }
}
