//! User namespaces (user_namespaces(7)): inside, a process can be uid 0 with every capability,
//! while outside it is an ordinary unprivileged user. The kernel translates ids through the
//! maps written to `/proc/PID/uid_map` and `/proc/PID/gid_map`.

use crate::Result;
use crate::error::io;
use nix::unistd::Pid;

/// One line of a uid or gid map: ids `inside..inside+count` in the namespace are
/// `outside..outside+count` in the parent namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdMap {
    /// First id inside the namespace.
    pub inside: u32,
    /// The id it stands for outside.
    pub outside: u32,
    /// How many consecutive ids are mapped.
    pub count: u32,
}

impl IdMap {
    /// The map line as the kernel reads it: `inside outside count`.
    pub fn line(&self) -> String {
        format!("{} {} {}\n", self.inside, self.outside, self.count)
    }
}

/// Writes the uid and gid maps of process `pid` (which must be in a new user namespace).
///
/// `setgroups` is set to `deny` first: an unprivileged writer may only write a gid map after
/// that (user_namespaces(7), "The /proc/\[pid]/setgroups file"), so that a process cannot
/// shed a supplementary group the host uses to *deny* it access.
pub fn write_id_maps(pid: Pid, uid: IdMap, gid: IdMap) -> Result<()> {
    // exercise 01.6 uid-map: begin
    let base = format!("/proc/{pid}");
    let setgroups = format!("{base}/setgroups");
    std::fs::write(&setgroups, "deny").map_err(io(&setgroups))?;
    let uid_map = format!("{base}/uid_map");
    std::fs::write(&uid_map, uid.line()).map_err(io(&uid_map))?;
    let gid_map = format!("{base}/gid_map");
    std::fs::write(&gid_map, gid.line()).map_err(io(&gid_map))?;
    Ok(())
    // exercise 01.6: end
}

/// Explains why creating a user namespace as an unprivileged user may be refused on this
/// machine, from the sysctls that control it (`/proc/sys/…`), or `None` when nothing forbids it.
pub fn unprivileged_userns_restriction() -> Option<String> {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
    };
    if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        return Some(
            "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+): allow them with \
             `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`"
                .to_string(),
        );
    }
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        return Some(
            "unprivileged user namespaces are disabled: enable them with \
             `sudo sysctl kernel.unprivileged_userns_clone=1`"
                .to_string(),
        );
    }
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        return Some(
            "user namespaces are disabled (user.max_user_namespaces=0): enable them with \
             `sudo sysctl user.max_user_namespaces=15000`"
                .to_string(),
        );
    }
    None
}
