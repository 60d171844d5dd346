//! Where does `-v …:/data` land? Inside the container's root file system — never outside it,
//! whatever the image contains.
//!
//! The mount happens before pivot_root(2), while the engine still sees the host's `/`. An image
//! is untrusted input: if it ships `/data -> /etc` (or `-> ../../../../etc`), naively joining
//! `<rootfs>` and `/data` and calling mount(2) on that path would follow the symlink on the
//! *host* and cover the host's `/etc` — the bug class behind runc's CVE-2021-30465. So every
//! lookup here goes through openat2(2) with `RESOLVE_IN_ROOT` (lesson 04's [`safe_path`]):
//! the rootfs directory fd acts as `/` for absolute symlinks and for `..`, inside the kernel.
//!
//! A symlink whose target does not exist yet (`/data -> /srv/data` with no `/srv`) is followed
//! by hand, component by component, reading each link with readlinkat(2) and interpreting it
//! inside the root too, so the missing directories are created where the container will see
//! them. The result is an `O_PATH` descriptor (open(2)) for mount(2) to use through
//! `/proc/self/fd/N`.
//!
//! [`safe_path`]: images::safe_path

use images::safe_path::{EntryPath, mkdir_all_in_root, open_dir_in_root};
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat, openat2, readlinkat};
use nix::sys::stat::{Mode, mkdirat};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

/// Linux's own limit on symlinks followed in one lookup (path_resolution(7)).
const MAX_LINKS: usize = 40;

/// A mount target inside the root, opened.
#[derive(Debug)]
pub struct Target {
    /// An `O_PATH` descriptor of the target (the directory or file *under* the mount to come).
    pub fd: OwnedFd,
    /// The target's path relative to the root, with every symlink already resolved.
    pub path: EntryPath,
    /// Whether the image had it (false: we just created it, empty).
    pub existed: bool,
}

/// The path under which mount(2) and friends reach what `fd` refers to (proc(5)'s magic link).
pub fn fd_path(fd: &OwnedFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

/// Resolves `destination` inside `root` and makes sure it exists: a directory when
/// `as_dir`, else an empty file (the mount point of a file bind mount).
pub fn prepare(root: &OwnedFd, destination: &str, as_dir: bool) -> Result<Target, String> {
    let path = resolve_in_root(root, destination)?;
    if path.is_root() {
        return Err("it resolves to the container's root directory".into());
    }
    match open_in_root(root, &path) {
        Ok(fd) => {
            return Ok(Target {
                fd,
                path,
                existed: true,
            });
        }
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(format!("open /{}: {e}", path.to_path_buf().display())),
    }
    let name = path.file_name().expect("not the root, checked above");
    // Missing parents are made with mkdirat(2) on parents that were themselves opened inside
    // the root, so a symlink cannot redirect the creation either.
    let parent =
        mkdir_all_in_root(root, &path.parent(), &mut Vec::new()).map_err(|e| e.to_string())?;
    let made = if as_dir {
        mkdirat(&parent, name, Mode::from_bits_truncate(0o755))
    } else {
        let flags = OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_WRONLY;
        openat(
            &parent,
            name,
            flags | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o644),
        )
        .map(drop)
    };
    match made {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(format!("create /{}: {e}", path.to_path_buf().display())),
    }
    let fd = open_in_root(root, &path)
        .map_err(|e| format!("open /{}: {e}", path.to_path_buf().display()))?;
    Ok(Target {
        fd,
        path,
        existed: false,
    })
}

/// Opens `path` inside `root` as an `O_PATH` descriptor with openat2(2): `RESOLVE_IN_ROOT`
/// keeps `..` and absolute symlinks inside, `RESOLVE_NO_MAGICLINKS` refuses `/proc/*/fd` jumps.
/// Called again after a mount, it returns the root of the new mount (lookups cross mounts).
pub fn open_in_root(root: &OwnedFd, path: &EntryPath) -> Result<OwnedFd, Errno> {
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let rel = if path.is_root() {
        PathBuf::from(".")
    } else {
        path.to_path_buf()
    };
    openat2(root, rel.as_path(), how)
}

/// Follows the symlinks of `destination` as the container would see them, with `root` as `/`,
/// even through names that do not exist yet; returns a path free of symlinks and `..`.
pub fn resolve_in_root(root: &OwnedFd, destination: &str) -> Result<EntryPath, String> {
    let mut pending: VecDeque<OsString> = components(Path::new(destination)).into();
    let mut done: Vec<OsString> = Vec::new();
    let mut links = 0;
    while let Some(name) = pending.pop_front() {
        if name == ".." {
            done.pop(); // at the top, `..` stays at the top, as in any root directory
            continue;
        }
        let parent = entry_path(&done)?;
        let link = match open_dir_in_root(root, &parent) {
            Ok(dir) => match readlinkat(&dir, name.as_os_str()) {
                Ok(target) => Some(target),
                Err(Errno::EINVAL | Errno::ENOENT) => None, // not a symlink, or not there yet
                Err(e) => {
                    return Err(format!(
                        "read /{}: {e}",
                        parent.join(&name).to_path_buf().display()
                    ));
                }
            },
            Err(Errno::ENOENT) => None, // the parent is missing: it will be created
            Err(e) => return Err(format!("open /{}: {e}", parent.to_path_buf().display())),
        };
        let Some(target) = link else {
            done.push(name);
            continue;
        };
        links += 1;
        if links > MAX_LINKS {
            return Err(format!("{destination}: too many levels of symbolic links"));
        }
        if Path::new(&target).is_absolute() {
            done.clear(); // absolute: from the container's `/`, which is `root`
        }
        for part in components(Path::new(&target)).into_iter().rev() {
            pending.push_front(part);
        }
    }
    entry_path(&done)
}

/// Plain names and `..`; `/` and `.` dropped.
fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

fn entry_path(parts: &[OsString]) -> Result<EntryPath, String> {
    EntryPath::parse(&parts.iter().collect::<PathBuf>()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn root_fd(dir: &Path) -> OwnedFd {
        nix::fcntl::open(dir, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty()).unwrap()
    }

    #[test]
    fn symlinks_are_followed_with_the_root_as_slash_even_when_dangling() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        symlink(outside.path(), root.path().join("abs")).unwrap();
        symlink("../../../..", root.path().join("up")).unwrap();
        std::fs::create_dir(root.path().join("real")).unwrap();
        symlink("real", root.path().join("rel")).unwrap();
        let fd = root_fd(root.path());
        let expect_abs = outside.path().strip_prefix("/").unwrap().join("x");
        let resolved = resolve_in_root(&fd, "/abs/x").unwrap();
        assert_eq!(resolved.to_path_buf(), expect_abs);
        assert!(
            resolve_in_root(&fd, "/up").unwrap().is_root(),
            "`..` stops at the root"
        );
        assert_eq!(
            resolve_in_root(&fd, "/rel/y").unwrap().to_path_buf(),
            Path::new("real/y")
        );
    }

    #[test]
    fn preparing_a_target_behind_a_hostile_symlink_creates_it_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        symlink(outside.path().join("data"), root.path().join("data")).unwrap();
        let fd = root_fd(root.path());
        let target = prepare(&fd, "/data", true).unwrap();
        assert!(!target.existed);
        assert!(
            root.path()
                .join(outside.path().strip_prefix("/").unwrap())
                .join("data")
                .is_dir()
        );
        assert!(
            !outside.path().join("data").exists(),
            "nothing made outside the root"
        );
        let file = prepare(&fd, "/etc/conf", false).unwrap();
        assert!(root.path().join("etc/conf").is_file() && !file.existed);
    }

    #[test]
    fn a_symlink_loop_and_the_root_itself_are_refused() {
        let root = tempfile::tempdir().unwrap();
        symlink("b", root.path().join("a")).unwrap();
        symlink("a", root.path().join("b")).unwrap();
        symlink("/", root.path().join("top")).unwrap();
        let fd = root_fd(root.path());
        assert!(
            resolve_in_root(&fd, "/a")
                .unwrap_err()
                .contains("too many levels")
        );
        assert!(
            prepare(&fd, "/top", true)
                .unwrap_err()
                .contains("root directory")
        );
    }
}
