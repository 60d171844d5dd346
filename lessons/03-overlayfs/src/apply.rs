//! Reading a tar layer back: either applied onto a directory (flattening, OCI whiteouts
//! delete what they name) or unpacked as a new overlay lower dir (OCI whiteouts turned into
//! overlay whiteouts). Lesson 04 builds image unpacking on these.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use nix::fcntl::AT_FDCWD;
use nix::sys::stat::{UtimensatFlags, utimensat};
use nix::sys::time::TimeSpec;

use crate::error::{Error, IoContext, Result};
use crate::walk::read_dir_sorted;
use crate::whiteout::{OciMarker, make_opaque, make_overlay_whiteout, parse_oci_name};

/// How the whiteouts of a layer are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Delete what they name from the directory (flatten onto the layers below).
    Apply,
    /// Keep them, in overlayfs form, for the directory to serve as a lower layer.
    AsLower,
}

/// Apply an OCI layer tar onto `dest`, which holds the layers below already flattened:
/// `.wh.NAME` removes `NAME`, `.wh..wh..opq` empties its directory of everything the layers
/// below put there, and every other entry is unpacked with its mode, owner, mtime and xattrs.
/// Whiteouts only ever hide lower content, never entries of the same layer (OCI image-spec).
pub fn apply_layer<R: Read>(layer: R, dest: &Path) -> Result<()> {
    unpack(layer, dest, Mode::Apply)
}

/// Unpack an OCI layer tar into the empty directory `dest` and turn its whiteouts into
/// overlayfs whiteouts (0/0 device, opaque xattr), so `dest` can be mounted as a lower layer
/// on top of the layers it was made against — what `docker commit` + `docker run` do.
pub fn unpack_as_lower<R: Read>(layer: R, dest: &Path) -> Result<()> {
    unpack(layer, dest, Mode::AsLower)
}

fn unpack<R: Read>(layer: R, dest: &Path, mode: Mode) -> Result<()> {
    let mut archive = tar::Archive::new(layer);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_unpack_xattrs(true);
    archive.set_overwrite(true);
    // Paths this layer created, which its own opaque markers must not remove.
    let mut from_this_layer: HashSet<PathBuf> = HashSet::new();
    // Directories and their mtimes: creating entries inside a directory changes its mtime,
    // so (like GNU tar) we set them again once everything is in place.
    let mut dir_mtimes: Vec<(PathBuf, u64)> = Vec::new();
    for entry in archive.entries().with_path("read tar for", dest)? {
        let mut entry = entry.with_path("read tar entry for", dest)?;
        let rel = safe_relative(&entry.path().with_path("read entry path for", dest)?)?;
        let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
            continue; // the root entry "./" itself
        };
        // Before touching anything ourselves: a symlink among the parents (`evil -> /etc`,
        // then `evil/.wh.passwd`) would make us delete or replace files outside `dest`.
        refuse_symlinked_parents(dest, parent)?;
        let parent_dir = dest.join(parent);
        match parse_oci_name(name) {
            Some(marker) => {
                fs::create_dir_all(&parent_dir).with_path("create dir", &parent_dir)?;
                apply_marker(marker, &parent_dir, parent, mode, &from_this_layer)?;
            }
            None => {
                let target = dest.join(&rel);
                replace_non_dir(&target, entry.header().entry_type().is_dir())?;
                entry.unpack_in(dest).with_path("unpack", &target)?;
                if entry.header().entry_type().is_dir() {
                    let mtime = entry.header().mtime().with_path("read mtime of", &target)?;
                    dir_mtimes.push((target, mtime));
                }
                from_this_layer.insert(rel);
            }
        }
    }
    // Deepest first does not matter here: setting a directory's times does not touch its parent.
    for (dir, mtime) in dir_mtimes {
        let time = TimeSpec::new(mtime as i64, 0);
        utimensat(
            AT_FDCWD,
            &dir,
            &time,
            &time,
            UtimensatFlags::NoFollowSymlink,
        )
        .with_path("set mtime of", &dir)?;
    }
    Ok(())
}

fn apply_marker(
    marker: OciMarker<'_>,
    dir: &Path,
    rel_dir: &Path,
    mode: Mode,
    from_this_layer: &HashSet<PathBuf>,
) -> Result<()> {
    match (marker, mode) {
        (OciMarker::Deleted(name), Mode::Apply) => remove_any(&dir.join(name)),
        (OciMarker::Deleted(name), Mode::AsLower) => make_overlay_whiteout(&dir.join(name)),
        (OciMarker::Opaque, Mode::AsLower) => make_opaque(dir),
        (OciMarker::Opaque, Mode::Apply) => {
            for (name, _) in read_dir_sorted(dir)? {
                if !from_this_layer.contains(&rel_dir.join(&name)) {
                    remove_any(&dir.join(name))?;
                }
            }
            Ok(())
        }
    }
}

/// A layer entry replaces whatever is at its path, except that a directory over a directory
/// merges (its contents from below stay).
fn replace_non_dir(target: &Path, entry_is_dir: bool) -> Result<()> {
    match fs::symlink_metadata(target) {
        Ok(meta) if meta.is_dir() && entry_is_dir => Ok(()),
        Ok(_) => remove_any(target),
        Err(_) => Ok(()),
    }
}

fn remove_any(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path).with_path("remove dir", path),
        Ok(_) => fs::remove_file(path).with_path("remove", path),
        Err(_) => Ok(()),
    }
}

/// Fail if any existing directory on the way from `dest` to `dest/rel` is a symbolic link.
fn refuse_symlinked_parents(dest: &Path, rel: &Path) -> Result<()> {
    let mut here = dest.to_path_buf();
    for name in rel.components() {
        here.push(name);
        match fs::symlink_metadata(&here) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::UnsafePath {
                    path: rel.to_owned(),
                });
            }
            Ok(_) => {}
            Err(_) => return Ok(()), // not there yet: nothing to follow
        }
    }
    Ok(())
}

/// The entry path with any leading `./` or `/` dropped; `..` is refused, so a layer can never
/// write outside `dest`.
fn safe_relative(path: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => out.push(name),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::UnsafePath {
                    path: path.to_owned(),
                });
            }
        }
    }
    Ok(out)
}
