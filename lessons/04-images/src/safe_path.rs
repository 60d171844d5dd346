//! Turning a path *from a tar entry* into a place *inside* the target directory, never outside.
//!
//! A layer is untrusted input. Its entry names may be absolute (`/etc/passwd`), may climb
//! (`../../root/.ssh`), and earlier entries — or earlier *layers* — may have planted symlinks
//! (`etc -> /etc`) so that a later, innocent-looking `etc/passwd` would write through them onto
//! the host. Joining strings and calling `open(2)` is exactly the bug behind several container
//! engine CVEs.
//!
//! The kernel's answer is `openat2(2)` with `RESOLVE_IN_ROOT`: the path is resolved as if the
//! directory fd were `/` — `..` at the top stays at the top and absolute symlinks are taken
//! relative to it, *atomically*, inside the kernel, so no race with a concurrent rename can
//! escape. `RESOLVE_NO_MAGICLINKS` additionally refuses `/proc/self/fd/N`-style "magic" links,
//! which can jump anywhere. We use it to open the *parent* directory of every entry, then act
//! on the last component with the `*at(2)` calls and `AT_SYMLINK_NOFOLLOW`/`O_NOFOLLOW`, so the
//! final name itself is never followed either.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat2};
use nix::sys::stat::{Mode, mkdirat};

use crate::Error;

/// An entry name split into safe components: no `..`, no `.`, no empty parts, not absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPath {
    parts: Vec<OsString>,
}

impl EntryPath {
    /// Cleans a tar entry name.
    ///
    /// A leading `/` or `./` is dropped (tar(1) does the same: the archive is relative to where
    /// it is extracted). A `..` component anywhere makes the whole layer suspicious, so it is
    /// rejected rather than silently clamped. The root itself (`.` or `/`) gives an empty path.
    pub fn parse(name: &Path) -> Result<EntryPath, Error> {
        let mut parts = Vec::new();
        for c in name.components() {
            match c {
                Component::RootDir | Component::CurDir => {}
                Component::Normal(p) => parts.push(p.to_os_string()),
                Component::ParentDir => {
                    // exercise 04.2 no-dotdot: begin
                    return Err(Error::HostileEntry {
                        entry: name.to_path_buf(),
                        reason: "contains a `..` component".into(),
                    });
                    // exercise 04.2: end
                }
                Component::Prefix(_) => unreachable!("no path prefixes on unix"),
            }
        }
        Ok(EntryPath { parts })
    }

    /// True for the root of the layer itself (`./`).
    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// The last component (the name created inside the parent), or `None` for the root.
    pub fn file_name(&self) -> Option<&OsStr> {
        self.parts.last().map(|p| p.as_os_str())
    }

    /// The path of the parent directory, relative to the root.
    pub fn parent(&self) -> EntryPath {
        let n = self.parts.len().saturating_sub(1);
        EntryPath {
            parts: self.parts[..n].to_vec(),
        }
    }

    /// The path joined with a child name.
    pub fn join(&self, name: &OsStr) -> EntryPath {
        let mut parts = self.parts.clone();
        parts.push(name.to_os_string());
        EntryPath { parts }
    }

    /// The components, root first.
    pub fn components(&self) -> &[OsString] {
        &self.parts
    }

    /// The path as a relative `PathBuf` (for messages and bookkeeping).
    pub fn to_path_buf(&self) -> PathBuf {
        if self.parts.is_empty() {
            return PathBuf::from(".");
        }
        self.parts.iter().collect()
    }
}

// ANCHOR: resolve
/// The `openat2(2)` resolution rules every lookup inside the target uses.
fn in_root() -> ResolveFlag {
    // exercise 04.1 resolve-in-root: begin
    // RESOLVE_IN_ROOT: treat the dirfd as "/" for `..` and absolute symlinks (a chroot for one
    // lookup). RESOLVE_NO_MAGICLINKS: refuse /proc/PID/fd-style links, which are not paths at all.
    ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS
    // exercise 04.1: end
}

/// Opens `path` (relative to `root`) as an `O_PATH` directory fd, resolving every component
/// inside `root` with `openat2(2)` + `RESOLVE_IN_ROOT`.
pub fn open_dir_in_root(root: &OwnedFd, path: &EntryPath) -> Result<OwnedFd, Errno> {
    let rel = if path.is_root() {
        PathBuf::from(".")
    } else {
        path.to_path_buf()
    };
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
        .resolve(in_root());
    openat2(root.as_fd(), rel.as_path(), how)
}
// ANCHOR_END: resolve

/// Opens `path` inside `root` for reading as a real (non-`O_PATH`) directory fd, without
/// following a symlink in the last component (`O_NOFOLLOW`): needed for `fsetxattr(2)`.
pub fn open_dir_readable(root: &OwnedFd, path: &EntryPath) -> Result<OwnedFd, Errno> {
    let rel = if path.is_root() {
        PathBuf::from(".")
    } else {
        path.to_path_buf()
    };
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC)
        .resolve(in_root());
    openat2(root.as_fd(), rel.as_path(), how)
}

/// Opens the directory `path` inside `root`, creating missing components as `0755`
/// directories on the way (like `mkdir -p`, but each `mkdirat(2)` is done on a parent that was
/// itself resolved inside the root, so a planted symlink can never redirect the creation).
///
/// Every directory it had to create is pushed onto `created`, so the caller can give it the
/// right owner and mode.
pub fn mkdir_all_in_root(
    root: &OwnedFd,
    path: &EntryPath,
    created: &mut Vec<EntryPath>,
) -> Result<OwnedFd, Error> {
    let mut dir = open_dir_in_root(root, &EntryPath { parts: vec![] })
        .map_err(|e| Error::sys("open the target root", PathBuf::from("."), e))?;
    for i in 0..path.parts.len() {
        let prefix = EntryPath {
            parts: path.parts[..i + 1].to_vec(),
        };
        dir = match open_dir_in_root(root, &prefix) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => {
                // Create the one missing name inside the parent we already hold safely.
                match mkdirat(
                    dir.as_fd(),
                    path.parts[i].as_os_str(),
                    Mode::from_bits_truncate(0o755),
                ) {
                    Ok(()) => created.push(prefix.clone()),
                    Err(Errno::EEXIST) => {}
                    Err(e) => return Err(Error::sys("create directory", prefix.to_path_buf(), e)),
                }
                open_dir_in_root(root, &prefix)
                    .map_err(|e| Error::sys("open directory", prefix.to_path_buf(), e))?
            }
            Err(e) => return Err(Error::sys("open directory", prefix.to_path_buf(), e)),
        };
    }
    Ok(dir)
}

/// Opens the regular file `rel` for reading, resolving it inside `root` (a directory built from
/// untrusted input: an unpacked archive, an image's root file system). A symlink such as
/// `etc/passwd -> /etc/shadow` is followed *inside* `root`, never to the host's file.
pub fn open_file_in_root(root: &Path, rel: &EntryPath) -> Result<std::fs::File, Error> {
    let dir = nix::fcntl::open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open directory", root, e))?;
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC)
        .resolve(in_root());
    let fd = openat2(dir.as_fd(), rel.to_path_buf().as_path(), how)
        .map_err(|e| Error::sys("open", root.join(rel.to_path_buf()), e))?;
    Ok(std::fs::File::from(fd))
}

/// Checks that a whiteout target or link name is a single, ordinary name.
pub fn check_plain_name(entry: &Path, name: &OsStr) -> Result<(), Error> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes == b"." || bytes == b".." || bytes.contains(&b'/') {
        return Err(Error::HostileEntry {
            entry: entry.to_path_buf(),
            reason: format!("names {name:?}, which is not an ordinary file name"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_are_made_relative_and_dotdot_is_refused() {
        let p = EntryPath::parse(Path::new("/etc/./passwd")).unwrap();
        assert_eq!(p.to_path_buf(), PathBuf::from("etc/passwd"));
        assert!(EntryPath::parse(Path::new("./")).unwrap().is_root());
        assert!(EntryPath::parse(Path::new("a/../../b")).is_err());
    }
}
