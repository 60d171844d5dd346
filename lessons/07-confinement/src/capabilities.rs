//! Capabilities (capabilities(7)): root's power cut into about forty pieces. A process has
//! five sets of them — the kernel checks the *effective* set, the *permitted* set is what it
//! may make effective, the *inheritable* and *ambient* sets pass across execve(2), and the
//! *bounding* set is the ceiling for whatever a later execve(2) could grant. Docker keeps 14
//! of them; everything that reaches the host (`SYS_ADMIN`, `NET_ADMIN`, `SYS_MODULE`, …) goes.

use crate::error::cap;
use crate::{Error, Result};
use caps::{CapSet, Capability, CapsHashSet};

/// Docker's default capability set (moby `oci/caps/defaults.go`): enough to act as root on
/// the container's own files and processes, nothing that reaches the host.
// ANCHOR: default_caps
pub const DEFAULT_CAPABILITIES: [Capability; 14] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FSETID,
    Capability::CAP_FOWNER,
    Capability::CAP_MKNOD,
    Capability::CAP_NET_RAW,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_KILL,
    Capability::CAP_AUDIT_WRITE,
];
// ANCHOR_END: default_caps

/// The five capability sets of one process, as `/proc/PID/status` shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapSet5 {
    /// `CapInh`: kept across execve(2) only if the program file lists them too.
    pub inheritable: CapsHashSet,
    /// `CapPrm`: what the process may make effective.
    pub permitted: CapsHashSet,
    /// `CapEff`: what the kernel checks right now.
    pub effective: CapsHashSet,
    /// `CapBnd`: the ceiling; nothing outside it can ever come back, not even by a setuid-root
    /// program.
    pub bounding: CapsHashSet,
    /// `CapAmb`: passed to any program across execve(2) (Linux 4.3).
    pub ambient: CapsHashSet,
}

/// Names a set the way capabilities(7) and `capsh --decode` do: `CAP_CHOWN,CAP_KILL,…`,
/// sorted by number, `(none)` when empty.
pub fn names(set: &CapsHashSet) -> String {
    let mut caps: Vec<Capability> = set.iter().copied().collect();
    caps.sort_by_key(|c| c.index());
    if caps.is_empty() {
        return "(none)".into();
    }
    caps.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Works out a container's capabilities from Docker's flags: the 14 defaults, minus
/// `--cap-drop`, plus `--cap-add` (`ALL` allowed in both; names with or without `CAP_`), or
/// every capability with `--privileged`. "Every" means every one this process may pass on:
/// the kernel's list cut to our own bounding set (a host root that lacks one, as some
/// sandboxes' root lacks `CAP_SYS_RESOURCE`, cannot grant it).
// ANCHOR: capability_set
pub fn capability_set(add: &[String], drop: &[String], privileged: bool) -> Result<CapsHashSet> {
    let all = grantable()?;
    if privileged {
        return Ok(all);
    }
    let mut set: CapsHashSet = DEFAULT_CAPABILITIES.into_iter().collect();
    for (names, adding) in [(drop, false), (add, true)] {
        for name in names {
            if name.eq_ignore_ascii_case("all") {
                set = if adding {
                    all.clone()
                } else {
                    CapsHashSet::new()
                };
                continue;
            }
            let cap: Capability = caps::to_canonical(name)
                .parse()
                .map_err(|_| Error::UnknownCapability { name: name.clone() })?;
            if adding {
                set.insert(cap);
            } else {
                set.remove(&cap);
            }
        }
    }
    Ok(set)
}
// ANCHOR_END: capability_set

/// Every capability this kernel knows that is in our own bounding set (capget(2) and
/// prctl(PR_CAPBSET_READ)).
pub fn grantable() -> Result<CapsHashSet> {
    let ours = caps::read(None, CapSet::Bounding).map_err(cap("read the bounding set"))?;
    Ok(caps::runtime::thread_all_supported()
        .into_iter()
        .filter(|c| ours.contains(c))
        .collect())
}

/// Shrinks the bounding set to `keep` with prctl(PR_CAPBSET_DROP). It needs `CAP_SETPCAP`,
/// so it must come before the uid change and before the process's own sets shrink. Without
/// it, a root process would get the whole bounding set back as permitted at its next
/// execve(2) (capabilities(7), "Capabilities and execution of programs by root").
///
/// Capabilities are numbered from 0 to the kernel's last one; PR_CAPBSET_READ answers
/// `EINVAL` past it. The loop allocates nothing, so it is safe in a freshly cloned child.
pub fn limit_bounding_set(keep: &CapsHashSet) -> Result<()> {
    // exercise 07.2 bounding-set: begin
    for index in 0..64u8 {
        // SAFETY: PR_CAPBSET_READ takes a capability number and touches no memory.
        if unsafe { libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(index), 0, 0, 0) } < 0 {
            break; // past this kernel's last capability
        }
        if keep.iter().any(|c| c.index() == index) {
            continue;
        }
        // SAFETY: PR_CAPBSET_DROP takes a capability number and touches no memory.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(index), 0, 0, 0) } != 0 {
            return Err(crate::error::sys(format!(
                "prctl(PR_CAPBSET_DROP, {index}) (dropping from the bounding set needs CAP_SETPCAP)"
            ))(nix::Error::last()));
        }
    }
    Ok(())
    // exercise 07.2: end
}

/// Sets the effective and permitted sets to `keep` (for uid 0; a non-root uid keeps none —
/// it lost them at setuid(2) already) and empties the inheritable and ambient sets, so
/// nothing passes across execve(2) except by root's own rule (root gets the bounding set).
/// capset(2), and prctl(PR_CAP_AMBIENT_CLEAR_ALL).
// ANCHOR: set_process_capabilities
pub fn set_process_capabilities(keep: &CapsHashSet, root: bool) -> Result<()> {
    let empty = CapsHashSet::new();
    caps::set(None, CapSet::Inheritable, &empty).map_err(cap("clear the inheritable set"))?;
    caps::clear(None, CapSet::Ambient).map_err(cap("clear the ambient set"))?;
    let target = if root { keep } else { &empty };
    // The effective set must stay a subset of the permitted one: shrink it first.
    caps::set(None, CapSet::Effective, target).map_err(cap("set the effective set"))?;
    caps::set(None, CapSet::Permitted, target).map_err(cap("set the permitted set"))?;
    Ok(())
}
// ANCHOR_END: set_process_capabilities

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn docker_flags_add_and_drop_from_the_fourteen_defaults() {
        let set = capability_set(&strings(&["NET_ADMIN"]), &strings(&["chown"]), false).unwrap();
        assert_eq!(set.len(), 14);
        assert!(set.contains(&Capability::CAP_NET_ADMIN));
        assert!(!set.contains(&Capability::CAP_CHOWN));
        let none = capability_set(&[], &strings(&["ALL"]), false).unwrap();
        assert!(none.is_empty());
        let err = capability_set(&strings(&["FLY"]), &[], false).unwrap_err();
        assert!(
            err.to_string().contains("unknown capability `FLY`"),
            "{err}"
        );
    }

    #[test]
    fn names_are_sorted_by_number() {
        let set: CapsHashSet = [Capability::CAP_KILL, Capability::CAP_CHOWN].into();
        assert_eq!(names(&set), "CAP_CHOWN,CAP_KILL");
        assert_eq!(names(&CapsHashSet::new()), "(none)");
    }
}
