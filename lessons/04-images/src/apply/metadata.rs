//! Finding an entry's parent inside the root, and applying owner, mode and xattrs — always
//! through an fd we created or with `AT_SYMLINK_NOFOLLOW`, never through a symlink.

use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use nix::fcntl::AtFlags;
use nix::sys::stat::{Mode, UtimensatFlags, fchmod, fstat, utimensat};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchown, fchownat};
use tar::Entry;

use super::Applier;
use crate::Error;
use crate::safe_path::{EntryPath, mkdir_all_in_root, open_dir_in_root, open_dir_readable};
use crate::whiteout as wh;

impl Applier {
    /// Opens (optionally creating) the parent directory of `path` inside the root.
    pub(super) fn parent_of(
        &self,
        path: &EntryPath,
        create: bool,
    ) -> Result<(OwnedFd, std::ffi::OsString), Error> {
        let name = path.file_name().expect("not the root").to_os_string();
        let parent = path.parent();
        let fd = if create {
            self.mkdir_parents(&parent)?
        } else {
            open_dir_in_root(&self.root, &parent)
                .map_err(|err| Error::sys("open directory", parent.to_path_buf(), err))?
        };
        Ok((fd, name))
    }

    /// Creates the missing directories of `path`. A directory the tar never mentions (an
    /// "implied" parent) takes its owner and mode from the topmost lower layer that has it — or
    /// 0755 root if none does: in an overlay the upper-most directory's metadata wins, so a
    /// made-up `0755 root` would override, say, a lower `/home/student` that is `0700 student`.
    pub(super) fn mkdir_parents(&self, path: &EntryPath) -> Result<OwnedFd, Error> {
        let mut created = Vec::new();
        let fd = mkdir_all_in_root(&self.root, path, &mut created)?;
        for dir in created {
            let Some(st) = self.lowers.iter().find_map(|l| {
                let fd = open_dir_in_root(l, &dir).ok()?;
                fstat(fd.as_fd()).ok()
            }) else {
                continue;
            };
            let rel = dir.to_path_buf();
            let new =
                open_dir_readable(&self.root, &dir).map_err(|e| Error::sys("open", &rel, e))?;
            self.fd_metadata(
                &new,
                &rel,
                Mode::from_bits_truncate(st.st_mode & 0o7777),
                st.st_uid,
                st.st_gid,
            )?;
        }
        Ok(fd)
    }

    pub(super) fn mark_written(&mut self, rel: &Path) {
        for a in rel.ancestors() {
            if !self.written.insert(a.to_path_buf()) {
                break;
            }
        }
    }

    /// Owner then mode (chown(2) clears set-uid/set-gid bits, so chmod must come after it).
    pub(super) fn fd_metadata(
        &self,
        fd: &OwnedFd,
        rel: &Path,
        mode: Mode,
        uid: u32,
        gid: u32,
    ) -> Result<(), Error> {
        if self.opts.owners {
            fchown(
                fd.as_fd(),
                Some(Uid::from_raw(uid)),
                Some(Gid::from_raw(gid)),
            )
            .map_err(|e| Error::sys("chown", rel, e))?;
        }
        fchmod(fd.as_fd(), mode).map_err(|e| Error::sys("chmod", rel, e))
    }

    pub(super) fn chown_nofollow(
        &self,
        parent: &OwnedFd,
        name: &OsStr,
        rel: &Path,
        uid: u32,
        gid: u32,
    ) -> Result<(), Error> {
        if !self.opts.owners {
            return Ok(());
        }
        fchownat(
            parent.as_fd(),
            name,
            Some(Uid::from_raw(uid)),
            Some(Gid::from_raw(gid)),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map_err(|e| Error::sys("chown", rel, e))
    }

    /// Extended attributes from PAX `SCHILY.xattr.*` records, minus overlayfs metadata.
    pub(super) fn xattrs<R: Read>(
        &mut self,
        e: &mut Entry<R>,
        fd: &OwnedFd,
        rel: &Path,
    ) -> Result<(), Error> {
        let Some(exts) = e
            .pax_extensions()
            .map_err(|err| Error::io("read pax headers", rel, err))?
        else {
            return Ok(());
        };
        for ext in exts {
            let ext = ext.map_err(|err| Error::io("read pax headers", rel, err))?;
            let Some(name) = ext.key().ok().and_then(|k| k.strip_prefix("SCHILY.xattr.")) else {
                continue;
            };
            if wh::is_overlay_xattr(name) {
                self.report.dropped_overlay_metadata += 1;
                continue;
            }
            // Best effort, like tar(1): a file system without xattrs (or security.* without
            // privilege) should not fail the whole image.
            let _ = wh::set_xattr(fd, name, ext.value_bytes());
        }
        Ok(())
    }

    /// Sets `name`'s modification (and access) time in `parent` without following it if it is
    /// a symlink: utimensat(2) with `AT_SYMLINK_NOFOLLOW`. Best effort, like tar(1): a time is
    /// not worth failing an image for.
    pub(super) fn set_mtime_nofollow(parent: &OwnedFd, name: &OsStr, mtime: u64) {
        let t = TimeSpec::new(mtime as i64, 0);
        let _ = utimensat(
            parent.as_fd(),
            name,
            &t,
            &t,
            UtimensatFlags::NoFollowSymlink,
        );
    }
}
