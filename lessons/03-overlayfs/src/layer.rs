//! `docker commit`: write an upper dir as an OCI layer tar.
//!
//! Each entry keeps its type, mode, owner, mtime and user-visible xattrs (as PAX
//! `SCHILY.xattr.*` records, the form GNU tar and the OCI tools use). Overlay whiteouts become
//! `.wh.NAME` files and opaque dirs get a `.wh..wh..opq` entry right after the dir itself.
//! overlayfs's own bookkeeping (`trusted.overlay.*` xattrs) is never written: it describes this
//! host's upper dir, not the image.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use tar::{Builder, EntryType, Header};

use crate::error::{IoContext, Result};
use crate::walk::read_dir_sorted;
use crate::whiteout::{OCI_OPAQUE_MARKER, is_opaque, is_overlay_whiteout, oci_whiteout_name};

/// Counts of what [`write_layer`] put in the tar.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LayerStats {
    /// Entries of any kind, whiteouts included.
    pub entries: usize,
    /// `.wh.NAME` and `.wh..wh..opq` entries.
    pub whiteouts: usize,
    /// Bytes of regular-file content.
    pub content_bytes: u64,
}

/// Write the changes in `upper` as an uncompressed tar layer to `out`, in sorted path order
/// so the same upper dir always gives the same bytes. Hard links inside the upper dir are
/// written once and then as tar link entries.
pub fn write_layer<W: Write>(upper: &Path, out: W) -> Result<LayerStats> {
    let mut writer = LayerWriter {
        tar: Builder::new(out),
        stats: LayerStats::default(),
        seen_inodes: HashMap::new(),
    };
    writer.add_dir_contents(upper, Path::new(""))?;
    writer.tar.finish().with_path("finish tar for", upper)?;
    Ok(writer.stats)
}

struct LayerWriter<W: Write> {
    tar: Builder<W>,
    stats: LayerStats,
    /// (device, inode) → first path written, to turn further hard links into link entries.
    seen_inodes: HashMap<(u64, u64), PathBuf>,
}

impl<W: Write> LayerWriter<W> {
    // ANCHOR: whiteouts
    fn add_dir_contents(&mut self, upper: &Path, rel: &Path) -> Result<()> {
        for (name, meta) in read_dir_sorted(&upper.join(rel))? {
            let path = rel.join(&name);
            let full = upper.join(&path);
            if is_overlay_whiteout(&meta) {
                // The kernel may hard-link all whiteouts to one shared inode: never treat them
                // as hard links, each is its own `.wh.` entry.
                self.add_marker(&rel.join(oci_whiteout_name(&name)), &meta)?;
                continue;
            }
            self.add_entry(&full, &path, &meta)?;
            if meta.is_dir() {
                if is_opaque(&full)? {
                    self.add_marker(&path.join(OCI_OPAQUE_MARKER), &meta)?;
                }
                self.add_dir_contents(upper, &path)?;
            }
        }
        Ok(())
    }
    // ANCHOR_END: whiteouts

    /// An empty regular file standing for a whiteout.
    fn add_marker(&mut self, path: &Path, meta: &Metadata) -> Result<()> {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o644);
        header.set_mtime(meta.mtime().max(0) as u64);
        header.set_size(0);
        self.tar
            .append_data(&mut header, path, io::empty())
            .with_path("write tar entry", path)?;
        self.stats.entries += 1;
        self.stats.whiteouts += 1;
        Ok(())
    }

    fn add_entry(&mut self, full: &Path, path: &Path, meta: &Metadata) -> Result<()> {
        self.add_xattrs(full, path)?;
        let mut header = Header::new_gnu();
        header.set_mode(meta.mode() & 0o7777);
        header.set_uid(meta.uid().into());
        header.set_gid(meta.gid().into());
        header.set_mtime(meta.mtime().max(0) as u64);
        header.set_size(0);
        let kind = meta.file_type();
        let written = if kind.is_dir() {
            header.set_entry_type(EntryType::Directory);
            self.tar.append_data(&mut header, path, io::empty())
        } else if kind.is_symlink() {
            let target = fs::read_link(full).with_path("read link", full)?;
            header.set_entry_type(EntryType::Symlink);
            self.tar.append_link(&mut header, path, target)
        } else if kind.is_file() {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = self.seen_inodes.get(&key).filter(|_| meta.nlink() > 1) {
                header.set_entry_type(EntryType::Link);
                let first = first.clone();
                self.tar.append_link(&mut header, path, first)
            } else {
                self.seen_inodes.insert(key, path.to_owned());
                header.set_entry_type(EntryType::Regular);
                header.set_size(meta.len());
                self.stats.content_bytes += meta.len();
                let file = File::open(full).with_path("open", full)?;
                self.tar.append_data(&mut header, path, file)
            }
        } else {
            // Device nodes and FIFOs: no content, only the type and the device number.
            header.set_entry_type(if kind.is_char_device() {
                EntryType::Char
            } else if kind.is_block_device() {
                EntryType::Block
            } else {
                EntryType::Fifo
            });
            let rdev = meta.rdev();
            header
                .set_device_major(nix::sys::stat::major(rdev) as u32)
                .ok();
            header
                .set_device_minor(nix::sys::stat::minor(rdev) as u32)
                .ok();
            self.tar.append_data(&mut header, path, io::empty())
        };
        written.with_path("write tar entry", path)?;
        self.stats.entries += 1;
        Ok(())
    }

    /// Write the entry's xattrs (llistxattr(2)/lgetxattr(2)) as a PAX header for the next entry,
    /// leaving out overlayfs's private `trusted.overlay.*` and `user.overlay.*` ones.
    fn add_xattrs(&mut self, full: &Path, path: &Path) -> Result<()> {
        let mut records = Vec::new();
        for name in xattr::list(full).with_path("list xattrs of", full)? {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.") {
                continue;
            }
            if let Some(value) = xattr::get(full, &name).with_path("read xattr of", full)? {
                records.push((format!("SCHILY.xattr.{name}"), value));
            }
        }
        if !records.is_empty() {
            let pairs = records.iter().map(|(k, v)| (k.as_str(), v.as_slice()));
            self.tar
                .append_pax_extensions(pairs)
                .with_path("write xattrs of", path)?;
        }
        Ok(())
    }
}
