//! Deleting files a layer says are gone — OCI whiteouts — and their overlayfs spelling.
//!
//! A tar can only *add* files. To delete, an upper layer ships a marker (OCI image-spec,
//! `layer.md`, "Whiteouts"):
//! - `dir/.wh.name` — `dir/name` from the layers below is gone;
//! - `dir/.wh..wh..opq` — *everything* in `dir` from the layers below is gone (an "opaque" dir).
//!
//! Applying a layer onto a merged root file system means deleting those files. Unpacking a layer
//! into its own directory for overlayfs means *translating* the markers into overlayfs's own
//! (kernel `Documentation/filesystems/overlayfs.rst`): a whiteout is a character device 0/0
//! with the hidden name, an opaque directory carries the xattr `trusted.overlay.opaque=y`.
//!
//! Every removal here works on directory fds with `AT_SYMLINK_NOFOLLOW`/`O_NOFOLLOW`: a
//! recursive delete that followed a symlink would empty the host's directory instead.

use std::ffi::{CString, OsStr};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{Mode, SFlag, fstatat, makedev, mknodat};
use nix::unistd::{UnlinkatFlags, unlinkat};

/// The OCI whiteout prefix.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// The OCI opaque-directory marker.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// The overlayfs xattr that makes a directory opaque.
pub const OVERLAY_OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// What kind of file `name` in `dir` is, without following a symlink; `None` if absent.
pub fn kind_at(dir: &OwnedFd, name: &OsStr) -> Result<Option<SFlag>, Errno> {
    match fstatat(dir.as_fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes `name` from `dir` whatever it is — recursively for a directory — never following
/// symlinks. Absent is fine.
pub fn remove_all_at(dir: &OwnedFd, name: &OsStr) -> Result<(), Errno> {
    match kind_at(dir, name)? {
        None => Ok(()),
        Some(SFlag::S_IFDIR) => {
            let child = open_subdir(dir, name)?;
            empty_dir(&child, &mut |_| false)?;
            unlinkat(dir.as_fd(), name, UnlinkatFlags::RemoveDir)
        }
        Some(_) => unlinkat(dir.as_fd(), name, UnlinkatFlags::NoRemoveDir),
    }
}

/// Opens the sub-directory `name` of `dir` for reading, refusing a symlink (`O_NOFOLLOW`).
pub fn open_subdir(dir: &OwnedFd, name: &OsStr) -> Result<OwnedFd, Errno> {
    openat(
        dir.as_fd(),
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

/// Removes every entry of the open directory `dir` for which `keep(name)` is false.
pub fn empty_dir(dir: &OwnedFd, keep: &mut dyn FnMut(&OsStr) -> bool) -> Result<(), Errno> {
    let names: Vec<Vec<u8>> = {
        // Dir takes ownership of an fd, so give it a duplicate and keep ours.
        let mut d = Dir::from_fd(dir.try_clone().map_err(|_| Errno::EMFILE)?)?;
        d.iter()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_bytes().to_vec())
            .filter(|n| n != b"." && n != b"..")
            .collect()
    };
    for n in names {
        let name = OsStr::from_bytes(&n);
        if !keep(name) {
            remove_all_at(dir, name)?;
        }
    }
    Ok(())
}

/// Creates an overlayfs whiteout for `name` in `dir`: a character device with number 0/0
/// (`mknodat(2)`; needs `CAP_MKNOD`).
pub fn make_overlay_whiteout(dir: &OwnedFd, name: &OsStr) -> Result<(), Errno> {
    remove_all_at(dir, name)?;
    mknodat(
        dir.as_fd(),
        name,
        SFlag::S_IFCHR,
        Mode::empty(),
        makedev(0, 0),
    )
}

/// Marks an open directory opaque for overlayfs: `trusted.overlay.opaque=y` (`fsetxattr(2)`;
/// `trusted.*` needs `CAP_SYS_ADMIN` in the initial user namespace).
pub fn make_overlay_opaque(dir: &OwnedFd) -> Result<(), Errno> {
    set_xattr(dir, OVERLAY_OPAQUE_XATTR, b"y")
}

/// Sets an extended attribute on an open file with `fsetxattr(2)`.
pub fn set_xattr(fd: &OwnedFd, name: &str, value: &[u8]) -> Result<(), Errno> {
    let cname = CString::new(name).map_err(|_| Errno::EINVAL)?;
    // SAFETY: fd is an open descriptor we own for the duration of the call; cname is a valid
    // NUL-terminated string and value a valid buffer of value.len() bytes.
    let r = unsafe {
        libc::fsetxattr(
            fd.as_raw_fd(),
            cname.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    Errno::result(r).map(drop)
}

/// True if an xattr name is overlayfs metadata, which must never come live from a tar: a layer
/// that could set `trusted.overlay.redirect` or `.opaque` could make overlayfs show other
/// layers' files, or hide them. Both the `trusted.` and the unprivileged `user.` spelling.
pub fn is_overlay_xattr(name: &str) -> bool {
    name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.")
}
