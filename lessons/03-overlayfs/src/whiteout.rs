//! Whiteouts: how a layer says "this file from the layers below is gone".
//!
//! A layer can only add files, so deletion needs a marker. The two worlds use different ones:
//!
//! | meaning                       | overlayfs (upper dir on disk)          | OCI layer (tar)        |
//! |-------------------------------|----------------------------------------|------------------------|
//! | `NAME` was deleted            | character device `NAME`, number 0/0    | empty file `.wh.NAME`  |
//! | hide everything below `DIR`   | xattr `trusted.overlay.opaque=y` on DIR| empty file `DIR/.wh..wh..opq` |
//!
//! overlayfs needs no file names of its own because a 0/0 device cannot be a real file (mknod(2)
//! of device 0/0 is reserved for it); tar cannot carry xattrs everywhere, so the OCI image spec
//! ("Representing Changes", whiteouts section of layer.md) uses names instead. This module maps
//! one to the other, both ways, in place on a directory tree.

use std::ffi::{OsStr, OsString};
use std::fs::{self, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use nix::sys::stat::{Mode, SFlag, makedev, mknod};

use crate::error::{IoContext, Result};
use crate::walk::read_dir_sorted;

/// The xattr overlayfs sets on a directory whose lower contents are hidden (trusted.* xattrs
/// need CAP_SYS_ADMIN, so unprivileged users cannot forge it; see xattr(7)).
pub const OPAQUE_XATTR: &str = "trusted.overlay.opaque";
/// Prefix of an OCI whiteout file name: `.wh.NAME` deletes `NAME`.
pub const OCI_WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the OCI opaque-directory marker.
pub const OCI_OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Is this (lstat(2)) metadata an overlayfs whiteout: a character device with number 0/0?
pub fn is_overlay_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Does `dir` carry `trusted.overlay.opaque=y` (read with lgetxattr(2))?
pub fn is_opaque(dir: &Path) -> Result<bool> {
    let value = xattr::get(dir, OPAQUE_XATTR).with_path("read xattr of", dir)?;
    Ok(value.as_deref() == Some(b"y"))
}

/// Create an overlayfs whiteout at `path`: mknod(2) a character device 0/0 with mode 0, as
/// the kernel does when a lower file is deleted through the merged view.
pub fn make_overlay_whiteout(path: &Path) -> Result<()> {
    // exercise 03.2 whiteout: begin
    mknod(path, SFlag::S_IFCHR, Mode::empty(), makedev(0, 0)).with_path("mknod whiteout", path)
    // exercise 03.2: end
}

/// Mark `dir` opaque with setxattr(2), hiding whatever lower layers hold under the same name.
pub fn make_opaque(dir: &Path) -> Result<()> {
    // exercise 03.3 opaque: begin
    xattr::set(dir, OPAQUE_XATTR, b"y").with_path("set opaque xattr on", dir)
    // exercise 03.3: end
}

/// The OCI whiteout name for a deleted `name`: `.wh.` + name.
pub fn oci_whiteout_name(name: &OsStr) -> OsString {
    let mut out = OsString::from(OCI_WHITEOUT_PREFIX);
    out.push(name);
    out
}

/// What an OCI whiteout file name stands for.
#[derive(Debug, PartialEq, Eq)]
pub enum OciMarker<'a> {
    /// `.wh..wh..opq`: the directory is opaque.
    Opaque,
    /// `.wh.NAME`: `NAME` is deleted.
    Deleted(&'a OsStr),
}

/// Parse a file name as an OCI whiteout, or `None` for an ordinary name.
pub fn parse_oci_name(name: &OsStr) -> Option<OciMarker<'_>> {
    if name == OCI_OPAQUE_MARKER {
        return Some(OciMarker::Opaque);
    }
    let bytes = name.as_bytes();
    bytes
        .strip_prefix(OCI_WHITEOUT_PREFIX.as_bytes())
        .filter(|rest| !rest.is_empty())
        .map(|rest| OciMarker::Deleted(OsStr::from_bytes(rest)))
}

/// Turn an overlayfs upper dir (or a copy of one) into OCI form, in place: every 0/0 device
/// becomes an empty `.wh.NAME` file, every opaque xattr an empty `.wh..wh..opq` file.
pub fn overlay_to_oci(dir: &Path) -> Result<()> {
    if is_opaque(dir)? {
        xattr::remove(dir, OPAQUE_XATTR).with_path("remove opaque xattr from", dir)?;
        fs::File::create(dir.join(OCI_OPAQUE_MARKER)).with_path("create", dir)?;
    }
    for (name, meta) in read_dir_sorted(dir)? {
        let path = dir.join(&name);
        if is_overlay_whiteout(&meta) {
            fs::remove_file(&path).with_path("remove whiteout", &path)?;
            let marker = dir.join(oci_whiteout_name(&name));
            fs::File::create(&marker).with_path("create", &marker)?;
        } else if meta.is_dir() {
            overlay_to_oci(&path)?;
        }
    }
    Ok(())
}

/// Turn an unpacked OCI layer into overlayfs form, in place, so it can be used directly as a
/// lower dir: `.wh.NAME` becomes a 0/0 device `NAME`, `.wh..wh..opq` the opaque xattr.
pub fn oci_to_overlay(dir: &Path) -> Result<()> {
    for (name, meta) in read_dir_sorted(dir)? {
        let path = dir.join(&name);
        match parse_oci_name(&name) {
            Some(OciMarker::Opaque) => {
                fs::remove_file(&path).with_path("remove", &path)?;
                make_opaque(dir)?;
            }
            Some(OciMarker::Deleted(target)) => {
                fs::remove_file(&path).with_path("remove", &path)?;
                make_overlay_whiteout(&dir.join(target))?;
            }
            None if meta.is_dir() => oci_to_overlay(&path)?,
            None => {}
        }
    }
    Ok(())
}
