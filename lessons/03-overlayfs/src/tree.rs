//! A directory tree read into memory — names, types, modes, owners, mtimes, contents and link
//! targets — so two trees can be compared: a lower dir before and after a container wrote to
//! the overlay, or a merged view against a layer applied by hand.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::walk::read_dir_sorted;

/// What kind of entry, with what a comparison should look at for that kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file and its bytes.
    File(Vec<u8>),
    /// A symbolic link and its target (readlink(2)).
    Symlink(PathBuf),
    /// A character device and its device number (a 0 here is an overlay whiteout).
    CharDevice(u64),
    /// Anything else (block device, FIFO, socket).
    Other,
}

/// One entry of a [`Tree`], from lstat(2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Type and content.
    pub kind: Kind,
    /// Permission bits (`st_mode & 07777`).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Last modification, seconds and nanoseconds.
    pub mtime: (i64, i64),
}

/// Every entry under a root, keyed by its path relative to that root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tree(pub BTreeMap<PathBuf, Node>);

impl Tree {
    /// Read everything under `root` (not the root itself), without following symlinks.
    pub fn read(root: &Path) -> Result<Tree> {
        let mut tree = Tree::default();
        read_into(root, Path::new(""), &mut tree)?;
        Ok(tree)
    }

    /// The same tree with every mtime set to zero, for comparing trees whose timestamps
    /// legitimately differ (a directory's mtime changes whenever an entry is added to it).
    pub fn without_mtimes(mut self) -> Tree {
        for node in self.0.values_mut() {
            node.mtime = (0, 0);
        }
        self
    }

    /// Paths whose entries differ between `self` and `other`, or exist in only one of them.
    pub fn differences(&self, other: &Tree) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self
            .0
            .iter()
            .filter(|(path, node)| other.0.get(*path) != Some(node))
            .map(|(path, _)| path.clone())
            .collect();
        paths.extend(other.0.keys().filter(|p| !self.0.contains_key(*p)).cloned());
        paths.sort();
        paths
    }
}

fn read_into(root: &Path, rel: &Path, tree: &mut Tree) -> Result<()> {
    for (name, meta) in read_dir_sorted(&root.join(rel))? {
        let path = rel.join(name);
        let full = root.join(&path);
        let kind = if meta.is_dir() {
            Kind::Dir
        } else if meta.file_type().is_symlink() {
            Kind::Symlink(fs::read_link(&full).with_path("read link", &full)?)
        } else if meta.is_file() {
            Kind::File(fs::read(&full).with_path("read", &full)?)
        } else if meta.file_type().is_char_device() {
            Kind::CharDevice(meta.rdev())
        } else {
            Kind::Other
        };
        let node = Node {
            kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
        };
        let is_dir = node.kind == Kind::Dir;
        tree.0.insert(path.clone(), node);
        if is_dir {
            read_into(root, &path, tree)?;
        }
    }
    Ok(())
}

/// Disk space used under `root`, like `du -s --block-size=1`: the sum of st_blocks × 512
/// (stat(2)) over every entry, counting a hard-linked inode once.
pub fn disk_usage(root: &Path) -> Result<u64> {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for (name, meta) in read_dir_sorted(&dir)? {
            if seen.insert((meta.dev(), meta.ino())) {
                total += meta.blocks() * 512;
            }
            if meta.is_dir() {
                pending.push(dir.join(name));
            }
        }
    }
    Ok(total)
}
