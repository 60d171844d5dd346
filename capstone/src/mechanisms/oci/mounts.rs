//! The spec's `mounts`, made inside the container's mount namespace before pivot_root(2).
//!
//! Lesson 01 already gives every container `/proc`, a read-only `/sys` and a minimal `/dev`
//! (with `/dev/pts` and `/dev/shm`): the spec's entries for those places are what it made, so
//! they are skipped. The rest — bind mounts (`/etc/hosts`, volumes), tmpfs, mqueue — are
//! mounted here, each target resolved inside the root with openat2(2) `RESOLVE_IN_ROOT` (see
//! `mechanisms::volumes::resolve`), so a symlink in the bundle's rootfs never leads a mount
//! out onto the host. A cgroup filesystem (`type: cgroup`) is not offered (see the chapter).

use crate::mechanisms::volumes::resolve;
use nix::fcntl::{OFlag, open};
use nix::mount::{MsFlags, mount};
use nix::sys::stat::Mode;
use oci_spec::runtime::Mount;
use std::path::Path;

/// Destinations lesson 01 mounts itself.
const MADE_BY_LESSON_01: [&str; 5] = ["/proc", "/sys", "/dev", "/dev/pts", "/dev/shm"];

/// Mounts every entry of `mounts` into `root` (not yet pivoted into), in the spec's order.
pub fn mount_all(mounts: &[Mount], root: &Path) -> Result<(), String> {
    let root_fd = open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("open {}: {e}", root.display()))?;
    for m in mounts {
        let destination = m.destination().to_string_lossy();
        let kind = m.typ().clone().unwrap_or_default();
        if MADE_BY_LESSON_01.contains(&destination.as_ref()) || kind == "cgroup" {
            continue;
        }
        mount_one(&root_fd, m, &kind)
            .map_err(|why| format!("mount {destination} (type {kind:?}): {why}"))?;
    }
    Ok(())
}

/// One mount: a bind (then a remount for its flags, which `MS_BIND` ignores), or a new
/// filesystem of the given type.
fn mount_one(root: &std::os::fd::OwnedFd, m: &Mount, kind: &str) -> Result<(), String> {
    let options = m.options().clone().unwrap_or_default();
    let (flags, data) = parse_options(&options);
    let bind = flags.contains(MsFlags::MS_BIND) || kind == "bind";
    let source = m.source().clone().unwrap_or_default();
    let as_dir = !bind || source.is_dir();
    let destination = m.destination().to_string_lossy();
    let target = resolve::prepare(root, &destination, as_dir)?;
    let target_path = resolve::fd_path(&target.fd);
    if bind {
        let rec = flags & MsFlags::MS_REC;
        mount(
            Some(&source),
            &target_path,
            None::<&str>,
            MsFlags::MS_BIND | rec,
            None::<&str>,
        )
        .map_err(|e| format!("mount(2) MS_BIND of {}: {e}", source.display()))?;
        let extra = flags - MsFlags::MS_BIND - MsFlags::MS_REC;
        if !extra.is_empty() {
            let mounted = resolve::open_in_root(root, &target.path).map_err(|e| e.to_string())?;
            mount(
                None::<&str>,
                &resolve::fd_path(&mounted),
                None::<&str>,
                MsFlags::MS_REMOUNT | MsFlags::MS_BIND | extra,
                None::<&str>,
            )
            .map_err(|e| format!("mount(2) MS_REMOUNT|MS_BIND: {e}"))?;
        }
    } else {
        let data = (!data.is_empty()).then_some(data.as_str());
        mount(Some(&source), &target_path, Some(kind), flags, data)
            .map_err(|e| format!("mount(2): {e}"))?;
    }
    Ok(())
}

/// Splits mount options (mount(8) words) into mount(2) flags and the filesystem's own data.
pub fn parse_options(options: &[String]) -> (MsFlags, String) {
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    for option in options {
        let (set, clear) = match option.as_str() {
            "ro" => (MsFlags::MS_RDONLY, MsFlags::empty()),
            "rw" => (MsFlags::empty(), MsFlags::MS_RDONLY),
            "nosuid" => (MsFlags::MS_NOSUID, MsFlags::empty()),
            "suid" => (MsFlags::empty(), MsFlags::MS_NOSUID),
            "nodev" => (MsFlags::MS_NODEV, MsFlags::empty()),
            "dev" => (MsFlags::empty(), MsFlags::MS_NODEV),
            "noexec" => (MsFlags::MS_NOEXEC, MsFlags::empty()),
            "exec" => (MsFlags::empty(), MsFlags::MS_NOEXEC),
            "relatime" => (MsFlags::MS_RELATIME, MsFlags::empty()),
            "noatime" => (MsFlags::MS_NOATIME, MsFlags::empty()),
            "strictatime" => (MsFlags::MS_STRICTATIME, MsFlags::empty()),
            "bind" => (MsFlags::MS_BIND, MsFlags::empty()),
            "rbind" => (MsFlags::MS_BIND | MsFlags::MS_REC, MsFlags::empty()),
            // Propagation: the namespace is private already (lesson 01), nothing to add.
            "private" | "rprivate" | "slave" | "rslave" | "shared" | "rshared" => continue,
            other => {
                data.push(other.to_string());
                continue;
            }
        };
        flags = (flags | set) - clear;
    }
    (flags, data.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_flags_and_the_rest_is_data() {
        let words: Vec<String> = ["nosuid", "rbind", "ro", "mode=755", "size=64k"]
            .map(String::from)
            .to_vec();
        let (flags, data) = parse_options(&words);
        assert_eq!(
            flags,
            MsFlags::MS_NOSUID | MsFlags::MS_BIND | MsFlags::MS_REC | MsFlags::MS_RDONLY
        );
        assert_eq!(data, "mode=755,size=64k");
    }
}
