//! `docker diff` from an upper dir: what a container added, changed and deleted.
//!
//! The upper dir holds exactly the changes, but not their kind: a file there may be new (A) or
//! a copied-up lower file (C). Only the lower layers can tell, so [`changes`] reads both.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::lowers::LowerStack;
use crate::walk::read_dir_sorted;
use crate::whiteout::{is_opaque, is_overlay_whiteout};

/// The kind of one change, printed as Docker prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// `A`: the path did not exist in the lower layers.
    Added,
    /// `C`: the path existed below and the upper layer now holds its own copy.
    Changed,
    /// `D`: the path existed below and is now hidden by a whiteout or an opaque directory.
    Deleted,
}

/// One line of `docker diff`: a kind and an absolute path inside the container.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// The path as the container sees it, e.g. `/etc/hostname`.
    pub path: PathBuf,
    /// What happened to it.
    pub kind: ChangeKind,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::Added => "A",
            ChangeKind::Changed => "C",
            ChangeKind::Deleted => "D",
        })
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.path.display())
    }
}

/// List the changes recorded in `upper` over `lowers` (topmost first), sorted by path like
/// `docker diff`. Reads the upper dir with readdir(3), lstat(2) and getxattr(2) only: it works
/// whether or not the overlay is mounted.
///
/// - a 0/0 character device is a whiteout → `D` (if the lowers had that path);
/// - an opaque directory hides every lower entry below it → `D` for each one not re-created;
/// - anything else is `C` when the lowers have the path, `A` when they do not. A directory
///   shows up as `C` when something inside it changed, because overlayfs copies the parents up.
pub fn changes<P: AsRef<Path>>(upper: &Path, lowers: &[P]) -> Result<Vec<Change>> {
    let stack = LowerStack::new(lowers.iter().map(|p| p.as_ref().to_path_buf()));
    let mut out = Vec::new();
    walk_upper(upper, Path::new(""), &stack, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk_upper(upper: &Path, rel: &Path, stack: &LowerStack, out: &mut Vec<Change>) -> Result<()> {
    let dir = upper.join(rel);
    let entries = read_dir_sorted(&dir)?;
    if !rel.as_os_str().is_empty() && is_opaque(&dir)? {
        // Opaque: the lower entries of this directory that the upper does not re-create are gone.
        for name in stack.list_dir(rel)? {
            if !entries.iter().any(|(upper_name, _)| *upper_name == name) {
                out.push(change(ChangeKind::Deleted, &rel.join(name)));
            }
        }
    }
    // ANCHOR: classify
    for (name, meta) in entries {
        let path = rel.join(&name);
        let below = stack.lookup(&path)?;
        if is_overlay_whiteout(&meta) {
            if below.is_some() {
                out.push(change(ChangeKind::Deleted, &path));
            }
            continue;
        }
        let kind = if below.is_some() {
            ChangeKind::Changed
        } else {
            ChangeKind::Added
        };
        out.push(change(kind, &path));
        if meta.is_dir() {
            walk_upper(upper, &path, stack, out)?;
        }
    }
    // ANCHOR_END: classify
    Ok(())
}

fn change(kind: ChangeKind, rel: &Path) -> Change {
    Change {
        path: Path::new("/").join(rel),
        kind,
    }
}
