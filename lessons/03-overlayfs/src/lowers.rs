//! The read-only lower layers seen as one tree, the way overlayfs merges them — without
//! mounting anything. `diff` needs it to tell a changed file (it existed below) from an added
//! one, and to know which lower entries an opaque directory hides.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::path::{Component, Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::walk::read_dir_sorted;
use crate::whiteout::{is_opaque, is_overlay_whiteout};

/// A stack of lower directories, topmost first (the `lowerdir=` order).
#[derive(Debug, Clone)]
pub struct LowerStack {
    layers: Vec<PathBuf>,
}

/// What one layer says about a path.
enum InLayer {
    /// The layer has the path: here is its lstat(2) metadata.
    Found(Metadata),
    /// The layer hides the path (a whiteout, or a non-directory where a parent should be).
    Hidden,
    /// The layer does not have it; `opaque_parent` says whether layers below are hidden too.
    Absent { opaque_parent: bool },
}

impl LowerStack {
    /// The merged view of `layers`, topmost first.
    pub fn new(layers: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        LowerStack {
            layers: layers.into_iter().map(Into::into).collect(),
        }
    }

    /// The metadata of `rel` (a path relative to the layer roots) as the merged lower view
    /// shows it, or `None` if no layer has it or a higher layer hides it.
    pub fn lookup(&self, rel: &Path) -> Result<Option<Metadata>> {
        for layer in &self.layers {
            match look_in_layer(layer, rel)? {
                InLayer::Found(meta) => return Ok(Some(meta)),
                InLayer::Hidden => return Ok(None),
                InLayer::Absent {
                    opaque_parent: true,
                } => return Ok(None),
                InLayer::Absent {
                    opaque_parent: false,
                } => {}
            }
        }
        Ok(None)
    }

    /// The names the merged lower view shows inside directory `rel`.
    pub fn list_dir(&self, rel: &Path) -> Result<BTreeSet<OsString>> {
        let mut visible = BTreeSet::new();
        let mut decided = BTreeSet::new();
        for layer in &self.layers {
            match look_in_layer(layer, rel)? {
                InLayer::Found(meta) if meta.is_dir() => {
                    let dir = layer.join(rel);
                    for (name, meta) in read_dir_sorted(&dir)? {
                        if decided.insert(name.clone()) && !is_overlay_whiteout(&meta) {
                            visible.insert(name);
                        }
                    }
                    if is_opaque(&dir)? {
                        break;
                    }
                }
                InLayer::Absent {
                    opaque_parent: false,
                } => {}
                _ => break,
            }
        }
        Ok(visible)
    }
}

/// Walk `rel` down one layer, component by component, noting whiteouts, non-directories in
/// the way and opaque parents.
fn look_in_layer(layer: &Path, rel: &Path) -> Result<InLayer> {
    let names: Vec<_> = rel
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    let mut here = layer.to_path_buf();
    let mut opaque_parent = false;
    for (index, name) in names.iter().enumerate() {
        here.push(name);
        let meta = match fs::symlink_metadata(&here) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(InLayer::Absent { opaque_parent });
            }
            Err(e) => return Err(e).with_path("stat", &here),
        };
        if is_overlay_whiteout(&meta) {
            return Ok(InLayer::Hidden);
        }
        if index + 1 == names.len() {
            return Ok(InLayer::Found(meta));
        }
        if !meta.is_dir() {
            return Ok(InLayer::Hidden);
        }
        opaque_parent |= is_opaque(&here)?;
    }
    // `rel` was empty: the layer root itself.
    let meta = fs::symlink_metadata(layer).with_path("stat", layer)?;
    Ok(InLayer::Found(meta))
}
