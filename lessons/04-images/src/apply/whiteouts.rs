//! Whiteouts and opaque directories: deleting (or, for overlayfs, marking) what lies below.

use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::sys::stat::SFlag;

use super::{Applier, WhiteoutMode};
use crate::Error;
use crate::safe_path::{EntryPath, check_plain_name, open_dir_in_root};
use crate::whiteout::{self as wh, kind_at, remove_all_at};

impl Applier {
    pub(super) fn whiteout(
        &mut self,
        raw: &Path,
        path: &EntryPath,
        name: &OsStr,
    ) -> Result<(), Error> {
        let dir_path = path.parent();
        let overlay = self.opts.whiteouts == WhiteoutMode::Overlay;
        let dir = if overlay {
            self.mkdir_parents(&dir_path)?
        } else {
            match open_dir_in_root(&self.root, &dir_path) {
                Ok(fd) => fd,
                Err(Errno::ENOENT) => return Ok(()), // nothing below to hide
                Err(err) => return Err(Error::sys("open directory", dir_path.to_path_buf(), err)),
            }
        };
        let dir_rel = dir_path.to_path_buf();
        self.report.whiteouts += 1;
        if name == OsStr::new(wh::OPAQUE_MARKER) {
            let real = wh::open_subdir(&dir, OsStr::new("."))
                .map_err(|e| Error::sys("open", &dir_rel, e))?;
            if overlay {
                self.mark_written(&dir_rel);
                return wh::make_overlay_opaque(&real)
                    .map_err(|e| Error::sys("mark opaque", &dir_rel, e));
            }
            return self.clear_lower(&real, &dir_path);
        }
        let bytes = name.as_bytes();
        if bytes.starts_with(b".wh..wh.") {
            return Ok(()); // other AUFS bookkeeping (.wh..wh.plnk …): not part of the image
        }
        let hidden = OsStr::from_bytes(&bytes[wh::WHITEOUT_PREFIX.len()..]);
        check_plain_name(raw, hidden)?;
        let hidden_rel = dir_rel.join(hidden);
        if overlay {
            self.mark_written(&hidden_rel);
            return wh::make_overlay_whiteout(&dir, hidden)
                .map_err(|e| Error::sys("create whiteout", &hidden_rel, e));
        }
        if self.written.contains(&hidden_rel) {
            return Ok(()); // a whiteout never hides a file of its own layer
        }
        remove_all_at(&dir, hidden).map_err(|e| Error::sys("remove whited-out", &hidden_rel, e))
    }

    /// Opaque dir in apply mode: remove everything in `dir` that this layer did not write.
    pub(super) fn clear_lower(&self, dir: &OwnedFd, dir_path: &EntryPath) -> Result<(), Error> {
        let rel = dir_path.to_path_buf();
        let mut keep_dirs = Vec::new();
        wh::empty_dir(dir, &mut |n| {
            let child = dir_path.join(n);
            let written = self.written.contains(&child.to_path_buf());
            if written {
                keep_dirs.push(child);
            }
            written
        })
        .map_err(|e| Error::sys("empty opaque directory", &rel, e))?;
        for child in keep_dirs {
            let name = child.file_name().expect("child has a name");
            if kind_at(dir, name).ok().flatten() == Some(SFlag::S_IFDIR) {
                let sub = wh::open_subdir(dir, name)
                    .map_err(|e| Error::sys("open", child.to_path_buf(), e))?;
                self.clear_lower(&sub, &child)?;
            }
        }
        Ok(())
    }
}
