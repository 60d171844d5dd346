//! `COPY` and `ADD`: files from the context (or an earlier stage) written straight into a new,
//! empty layer directory — no container is needed. Docker's rules: a directory source copies
//! its *contents*; a destination ending in `/`, an existing directory, or several sources mean
//! "into this directory"; missing parent directories are created, taking mode and owner from
//! the image below when it has them (so `COPY x /tmp/` does not turn `/tmp` into 0755).
//! Every path written is joined lexically under the layer dir, never through a symlink.

use super::context::SourceRoot;
use overlay::lowers::LowerStack;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// One `COPY`/`ADD` after its sources were resolved.
#[derive(Debug)]
pub struct CopyPlan<'a> {
    /// Where sources are read from.
    pub root: &'a SourceRoot,
    /// Resolved sources, relative to the root.
    pub sources: Vec<PathBuf>,
    /// The destination inside the image, absolute, as written (a trailing `/` matters).
    pub dest: String,
    /// `--chown` resolved to ids; `None` means root (0:0) as Docker does.
    pub owner: Option<(u32, u32)>,
    /// `--chmod` for every copied file and directory.
    pub chmod: Option<u32>,
    /// `ADD`: extract local tar archives instead of copying them.
    pub extract_tars: bool,
}

/// Turns an absolute image path into a clean relative one (`..` cannot climb above `/`).
pub fn image_relative(path: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// Copies the plan's sources into `layer` (a new, empty directory), with `lowers` the image
/// below (topmost first). Errors are messages for the caller to put the Dockerfile line on.
pub fn copy_into_layer(plan: &CopyPlan, layer: &Path, lowers: &LowerStack) -> Result<(), String> {
    let dest = image_relative(&plan.dest);
    let below_is_dir = lowers
        .lookup(&dest)
        .map_err(|e| e.to_string())?
        .is_some_and(|m| m.is_dir());
    let into_dir = plan.dest.ends_with('/') || plan.sources.len() > 1 || below_is_dir;
    for rel in &plan.sources {
        let src = plan.root.dir.join(rel);
        let meta = fs::symlink_metadata(&src).map_err(|e| format!("{}: {e}", rel.display()))?;
        if meta.is_dir() {
            let created = lowers.lookup(&dest).map_err(|e| e.to_string())?.is_none();
            make_parents(layer, &dest, lowers, true)?;
            if created && let Some((uid, gid)) = plan.owner {
                // A destination directory COPY creates belongs to --chown's owner too.
                std::os::unix::fs::lchown(layer.join(&dest), Some(uid), Some(gid))
                    .map_err(|e| e.to_string())?;
            }
            copy_tree(plan, rel, &layer.join(&dest))?;
        } else if plan.extract_tars && is_tar(&src) {
            make_parents(layer, &dest, lowers, true)?;
            extract_tar(&src, &layer.join(&dest))?;
        } else {
            let target = if into_dir {
                dest.join(rel.file_name().unwrap_or_default())
            } else {
                dest.clone()
            };
            make_parents(layer, &target, lowers, false)?;
            copy_entry(plan, &src, &layer.join(&target), &meta)?;
        }
    }
    Ok(())
}

/// Creates `rel`'s parent directories (and `rel` itself if `including_self`) in the layer,
/// with the mode and owner the image below gives them, or 0755 root for new ones.
fn make_parents(
    layer: &Path,
    rel: &Path,
    lowers: &LowerStack,
    including_self: bool,
) -> Result<(), String> {
    let mut partial = PathBuf::new();
    let parts: Vec<_> = rel.components().collect();
    let upto = if including_self {
        parts.len()
    } else {
        parts.len().saturating_sub(1)
    };
    for part in &parts[..upto] {
        partial.push(part);
        let here = layer.join(&partial);
        if here.is_dir() {
            continue;
        }
        fs::create_dir(&here).map_err(|e| format!("create {}: {e}", here.display()))?;
        let (mode, uid, gid) = match lowers.lookup(&partial).map_err(|e| e.to_string())? {
            Some(m) if m.is_dir() => (m.mode() & 0o7777, m.uid(), m.gid()),
            _ => (0o755, 0, 0),
        };
        fs::set_permissions(&here, fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())?;
        std::os::unix::fs::lchown(&here, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Copies the contents of directory `rel` (skipping ignored paths) into `dest`.
fn copy_tree(plan: &CopyPlan, rel: &Path, dest: &Path) -> Result<(), String> {
    let dir = plan.root.dir.join(rel);
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let child = rel.join(entry.file_name());
        if plan.root.ignore.excluded(&child) {
            continue;
        }
        let src = plan.root.dir.join(&child);
        let meta = fs::symlink_metadata(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        let target = dest.join(entry.file_name());
        copy_entry(plan, &src, &target, &meta)?;
        if meta.is_dir() {
            copy_tree(plan, &child, &target)?;
        }
    }
    Ok(())
}

/// Copies one file, symlink or (empty) directory, then sets its owner and mode.
fn copy_entry(
    plan: &CopyPlan,
    src: &Path,
    target: &Path,
    meta: &fs::Metadata,
) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("copy {} to {}: {e}", src.display(), target.display());
    if let Ok(existing) = fs::symlink_metadata(target)
        && !(existing.is_dir() && meta.is_dir())
    {
        fs::remove_file(target).map_err(fail)?;
    }
    let (uid, gid) = plan.owner.unwrap_or((0, 0));
    if meta.is_symlink() {
        let link = fs::read_link(src).map_err(fail)?;
        std::os::unix::fs::symlink(&link, target).map_err(fail)?;
        std::os::unix::fs::lchown(target, Some(uid), Some(gid)).map_err(fail)?;
        return Ok(());
    }
    if meta.is_dir() {
        if !target.is_dir() {
            fs::create_dir(target).map_err(fail)?;
        }
    } else if meta.is_file() {
        fs::copy(src, target).map_err(fail)?;
        // Docker keeps a copied file's mtime (for `ADD <url>`: the server's Last-Modified).
        let mtime = meta.modified().map_err(fail)?;
        fs::File::options()
            .write(true)
            .open(target)
            .and_then(|f| f.set_modified(mtime))
            .map_err(fail)?;
    } else {
        return Err(format!(
            "{}: only files, directories and symlinks can be copied",
            src.display()
        ));
    }
    std::os::unix::fs::lchown(target, Some(uid), Some(gid)).map_err(fail)?;
    let mode = plan.chmod.unwrap_or(meta.mode() & 0o7777);
    fs::set_permissions(target, fs::Permissions::from_mode(mode)).map_err(fail)?;
    Ok(())
}

/// A local tar archive (plain or gzip), recognised by content as Docker does.
fn is_tar(path: &Path) -> bool {
    let mut head = [0u8; 512];
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    let n = file.read(&mut head).unwrap_or(0);
    (n >= 2 && head[..2] == [0x1f, 0x8b]) || (n >= 262 && &head[257..262] == b"ustar")
}

/// `ADD archive.tar /dir/`: unpacked with owners and modes kept.
fn extract_tar(src: &Path, dest: &Path) -> Result<(), String> {
    let file = fs::File::open(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mut input = std::io::BufReader::new(file);
    let head = std::io::BufRead::fill_buf(&mut input).map_err(|e| e.to_string())?;
    let reader: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    };
    let mut archive = tar::Archive::new(reader);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    let fail = |e: std::io::Error| format!("extract {}: {e}", src.display());
    let mut root = None;
    for entry in archive.entries().map_err(fail)? {
        let mut entry = entry.map_err(fail)?;
        let path = entry.path().map_err(fail)?.into_owned();
        if path.components().all(|c| c == Component::CurDir) {
            // The archive's own `./`: its owner and mode go to the destination directory.
            let h = entry.header();
            root = Some((
                h.mode().map_err(fail)?,
                h.uid().map_err(fail)?,
                h.gid().map_err(fail)?,
            ));
            continue;
        }
        // unpack_in refuses paths that would land outside `dest` (`..`, through symlinks).
        entry.unpack_in(dest).map_err(fail)?;
    }
    if let Some((mode, uid, gid)) = root {
        fs::set_permissions(dest, fs::Permissions::from_mode(mode & 0o7777)).map_err(fail)?;
        std::os::unix::fs::lchown(dest, Some(uid as u32), Some(gid as u32)).map_err(fail)?;
    }
    Ok(())
}
