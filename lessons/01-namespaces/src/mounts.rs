//! Mounts for a container: private propagation, `/proc`, `/sys`, a minimal `/dev`, and
//! pivot_root(2) into a new root filesystem (mount(2), umount(2), mount_namespaces(7)).
//!
//! All of these run inside the container's new mount namespace, so the host's mount table
//! never changes — provided propagation is made private first (see [`make_private`]).

use crate::error::{io, sys};
use crate::{Error, Result};
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sys::stat::Mode;
use std::path::{Path, PathBuf};

const NONE: Option<&str> = None;

/// Marks every mount in this namespace private (`mount --make-rprivate /`).
///
/// Why: on most distributions systemd makes `/` a *shared* mount, and a new mount namespace
/// starts as a copy that is still in the same peer group. Without this, a mount made inside
/// the container would propagate back to the host (and the host's to us).
pub fn make_private() -> Result<()> {
    // exercise 01.3 make-private: begin
    mount(NONE, "/", NONE, MsFlags::MS_REC | MsFlags::MS_PRIVATE, NONE)
        .map_err(sys("mount(--make-rprivate /)"))
    // exercise 01.3: end
}

/// Mounts a fresh procfs at `target` (proc(5)). A procfs shows the processes of the PID
/// namespace of whoever mounts it, so mounted from inside a new PID namespace it lists only the
/// container's own processes.
pub fn mount_proc(target: &Path) -> Result<()> {
    // exercise 01.4 mount-proc: begin
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("proc"), target, Some("proc"), flags, NONE)
        .map_err(sys(format!("mount(proc on {})", target.display())))
    // exercise 01.4: end
}

/// Mounts sysfs (sysfs(5)) read-only at `target`: containers may look at devices and network
/// interfaces (of their own network namespace) but must not change kernel settings.
pub fn mount_sysfs_readonly(target: &Path) -> Result<()> {
    let flags = MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("sysfs"), target, Some("sysfs"), flags, NONE)
        .map_err(sys(format!("mount(sysfs on {})", target.display())))
}

/// Mounts an empty tmpfs (tmpfs(5)) at `target`, e.g. a writable `/tmp` over a read-only root.
pub fn mount_tmpfs(target: &Path, options: &str) -> Result<()> {
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    mount(Some("tmpfs"), target, Some("tmpfs"), flags, Some(options))
        .map_err(sys(format!("mount(tmpfs on {})", target.display())))
}

/// The device nodes a container gets: the harmless character devices every program expects.
/// No disks, no `/dev/mem`: the host's devices stay out of reach.
pub const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// Builds a minimal `/dev` under `rootfs/dev`: a tmpfs holding the [`DEVICES`] bind-mounted
/// from the host's `/dev` (bind mounts work even inside a user namespace, where mknod(2) of
/// a device is not allowed), a private devpts(5) instance for terminals, `/dev/shm`, and the
/// usual symlinks (`fd`, `stdin`, `stdout`, `stderr`, `ptmx`).
pub fn mount_minimal_dev(rootfs: &Path) -> Result<()> {
    let dev = rootfs.join("dev");
    mount_tmpfs(&dev, "mode=755,size=65536k")?;
    for name in DEVICES {
        let target = dev.join(name);
        std::fs::File::create(&target).map_err(io(&target))?;
        let source = Path::new("/dev").join(name);
        mount(Some(&source), &target, NONE, MsFlags::MS_BIND, NONE).map_err(sys(format!(
            "mount(bind {} on {})",
            source.display(),
            target.display()
        )))?;
    }
    let pts = dev.join("pts");
    nix::unistd::mkdir(&pts, Mode::from_bits_truncate(0o755)).map_err(sys("mkdir(/dev/pts)"))?;
    mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(sys("mount(devpts on /dev/pts)"))?;
    let shm = dev.join("shm");
    nix::unistd::mkdir(&shm, Mode::from_bits_truncate(0o1777)).map_err(sys("mkdir(/dev/shm)"))?;
    mount_tmpfs(&shm, "mode=1777,size=65536k")?;
    for (link, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("ptmx", "pts/ptmx"),
    ] {
        let path = dev.join(link);
        std::os::unix::fs::symlink(target, &path).map_err(io(&path))?;
    }
    Ok(())
}

/// Makes `new_root` the root directory of this mount namespace with pivot_root(2), and detaches
/// the old root so nothing of the host's filesystem stays reachable.
///
/// Unlike chroot(2), which only changes how one process resolves `/`, pivot_root moves the whole
/// namespace onto the new root; once the old root is unmounted, no `..` and no open directory
/// leads back to the host.
// ANCHOR: pivot
pub fn pivot_into(new_root: &Path) -> Result<()> {
    // exercise 01.5 pivot-root: begin
    // pivot_root(2) requires new_root to be a mount point: bind-mount it onto itself.
    mount(
        Some(new_root),
        new_root,
        NONE,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        NONE,
    )
    .map_err(sys(format!("mount(bind {} on itself)", new_root.display())))?;
    nix::unistd::chdir(new_root).map_err(sys(format!("chdir({})", new_root.display())))?;
    // pivot_root(".", ".") — the trick from pivot_root(2)'s NOTES: the new root becomes "/",
    // and the old root is stacked on top of it at "/". No directory for the old root needed.
    nix::unistd::pivot_root(".", ".").map_err(sys("pivot_root(., .)"))?;
    // Unmount the old root (the top of the stack at "."): MNT_DETACH lazily detaches it and
    // everything under it, even if something still uses it.
    umount2(".", MntFlags::MNT_DETACH).map_err(sys("umount2(old root, MNT_DETACH)"))?;
    nix::unistd::chdir("/").map_err(sys("chdir(/)"))?;
    Ok(())
    // exercise 01.5: end
}
// ANCHOR_END: pivot

/// Remounts the (already pivoted) root filesystem `nodev` — a device node shipped in the
/// image cannot be opened — and, with `readonly`, read-only: the container can read its image
/// but not change it (`docker run --read-only`). A bind remount (`MS_REMOUNT | MS_BIND`)
/// changes the flags of this one mount, not of the filesystem below it.
pub fn remount_root(readonly: bool) -> Result<()> {
    let mut flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_NODEV;
    if readonly {
        flags |= MsFlags::MS_RDONLY;
    }
    mount(NONE, "/", NONE, flags, NONE).map_err(sys("mount(remount / nodev)"))
}

/// Remounts the (already pivoted) root filesystem read-only, and nothing else (see
/// [`remount_root`] for what a container gets).
pub fn remount_root_readonly() -> Result<()> {
    let flags = MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY;
    mount(NONE, "/", NONE, flags, NONE).map_err(sys("mount(remount / read-only)"))
}

/// Makes sure `root/name` is a real directory to mount on, and returns its path. The root
/// filesystem may come from an untrusted image while we still see the host's `/`: a symlink
/// there (`proc -> /etc`) would send mount(2) or mkdir(2) to the host's files, so it is
/// refused, as runc refuses it (CVE-2019-19921). `name` is a single component, so no earlier
/// symlink can redirect the lookup.
pub fn mount_point(root: &Path, name: &str) -> Result<PathBuf> {
    let path = root.join(name);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(path),
        Ok(_) => Err(Error::Rootfs {
            path: root.to_path_buf(),
            why: format!(
                "/{name} is not a directory (a symlink or file there could redirect the \
                 mount): fix the image"
            ),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir(&path).map_err(io(&path))?;
            Ok(path)
        }
        Err(e) => Err(io(&path)(e)),
    }
}

/// Reads this process's mount table (`/proc/self/mountinfo`, proc_pid_mountinfo(5)) as a list
/// of mount points, to show what a namespace can see. The kernel writes a space, tab, newline
/// or backslash in a path as an octal escape (`\040`); it is decoded here.
pub fn mount_points() -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string("/proc/self/mountinfo").map_err(io("/proc/self/mountinfo"))?;
    Ok(text
        .lines()
        .filter_map(|line| line.split(' ').nth(4).map(unescape))
        .collect())
}

/// Decodes the `\NNN` octal escapes of a `/proc/PID/mountinfo` field: the kernel writes a
/// space, tab, newline or backslash in a path as `\040`, `\011`, `\012`, `\134` (proc(5)).
/// Lesson 02 reads its cgroup mounts' paths with it.
pub fn unescape(field: &str) -> String {
    let mut out = Vec::with_capacity(field.len());
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            let d = std::str::from_utf8(d).ok()?;
            u8::from_str_radix(d, 8).ok()
        });
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn mountinfo_escapes_are_decoded() {
        assert_eq!(
            super::unescape(r"/tmp/my\040root/a\134b"),
            r"/tmp/my root/a\b"
        );
        assert_eq!(super::unescape(r"/plain\9"), r"/plain\9");
    }
}
