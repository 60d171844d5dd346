//! Creating one entry — file, directory, symlink, hard link, device, FIFO — inside the root.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{FchmodatFlags, Mode, SFlag, fchmodat, futimens, makedev, mkdirat, mknodat};
use nix::sys::time::TimeSpec;
use nix::unistd::{linkat, symlinkat};
use tar::{Entry, EntryType};

use super::Applier;
use crate::Error;
use crate::safe_path::EntryPath;
use crate::whiteout::{self as wh, kind_at, remove_all_at};

impl Applier {
    pub(super) fn entry<R: Read>(&mut self, e: &mut Entry<R>) -> Result<(), Error> {
        let raw = e
            .path()
            .map_err(|err| Error::io("read entry name", "layer", err))?
            .into_owned();
        let path = EntryPath::parse(&raw)?;
        let Some(name) = path.file_name().map(OsStr::to_os_string) else {
            return self.root_entry(e, &raw);
        };
        let name_bytes = name.as_bytes();
        if name_bytes.starts_with(wh::WHITEOUT_PREFIX.as_bytes()) {
            return self.whiteout(&raw, &path, &name);
        }
        let kind = e.header().entry_type();
        let (parent, name) = self.parent_of(&path, true)?;
        let rel = path.to_path_buf();
        self.mark_written(&rel);
        let h = e.header();
        let mode = Mode::from_bits_truncate(h.mode().unwrap_or(0o644) & 0o7777);
        let (uid, gid) = (h.uid().unwrap_or(0) as u32, h.gid().unwrap_or(0) as u32);
        let mtime = h.mtime().unwrap_or(0);
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                // ANCHOR: create_file
                remove_all_at(&parent, &name).map_err(|err| Error::sys("replace", &rel, err))?;
                // O_CREAT|O_EXCL never follows a symlink and never reuses an existing inode.
                let fd = openat(
                    parent.as_fd(),
                    name.as_os_str(),
                    OFlag::O_CREAT
                        | OFlag::O_EXCL
                        | OFlag::O_WRONLY
                        | OFlag::O_NOFOLLOW
                        | OFlag::O_CLOEXEC,
                    Mode::from_bits_truncate(0o600),
                )
                .map_err(|err| Error::sys("create file", &rel, err))?;
                let mut file = File::from(fd);
                io::copy(e, &mut file).map_err(|err| Error::io("write file", &rel, err))?;
                let fd = OwnedFd::from(file);
                self.xattrs(e, &fd, &rel)?;
                self.fd_metadata(&fd, &rel, mode, uid, gid)?;
                let t = TimeSpec::new(mtime as i64, 0);
                futimens(fd.as_fd(), &t, &t)
                    .map_err(|err| Error::sys("set times of", &rel, err))?;
                // ANCHOR_END: create_file
            }
            EntryType::Directory => {
                if kind_at(&parent, &name).map_err(|err| Error::sys("stat", &rel, err))?
                    != Some(SFlag::S_IFDIR)
                {
                    remove_all_at(&parent, &name)
                        .map_err(|err| Error::sys("replace", &rel, err))?;
                    mkdirat(
                        parent.as_fd(),
                        name.as_os_str(),
                        Mode::from_bits_truncate(0o700),
                    )
                    .map_err(|err| Error::sys("create directory", &rel, err))?;
                }
                let fd =
                    wh::open_subdir(&parent, &name).map_err(|err| Error::sys("open", &rel, err))?;
                self.xattrs(e, &fd, &rel)?;
                self.fd_metadata(&fd, &rel, mode, uid, gid)?;
                self.dir_times.push((path.clone(), mtime));
            }
            EntryType::Symlink => {
                let target = e
                    .link_name()
                    .map_err(|err| Error::io("read link target", &rel, err))?
                    .unwrap_or_default()
                    .into_owned();
                remove_all_at(&parent, &name).map_err(|err| Error::sys("replace", &rel, err))?;
                // The target is only stored, never resolved by us: a symlink is harmless until
                // someone follows it, and nothing in this module does.
                symlinkat(target.as_path(), parent.as_fd(), name.as_os_str())
                    .map_err(|err| Error::sys("create symlink", &rel, err))?;
                self.chown_nofollow(&parent, &name, &rel, uid, gid)?;
                Self::set_mtime_nofollow(&parent, name.as_os_str(), mtime);
            }
            EntryType::Link => self.hardlink(e, &parent, &name, &path)?,
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let (major, minor) = (
                    h.device_major().ok().flatten().unwrap_or(0),
                    h.device_minor().ok().flatten().unwrap_or(0),
                );
                let sflag = match kind {
                    EntryType::Char => SFlag::S_IFCHR,
                    EntryType::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                if sflag == SFlag::S_IFCHR && major == 0 && minor == 0 {
                    // A 0/0 device *is* an overlay whiteout; from a tar it must stay inert.
                    self.report.dropped_overlay_metadata += 1;
                    return Ok(());
                }
                if sflag != SFlag::S_IFIFO && !self.opts.devices {
                    self.report.skipped_devices += 1;
                    return Ok(());
                }
                remove_all_at(&parent, &name).map_err(|err| Error::sys("replace", &rel, err))?;
                mknodat(
                    parent.as_fd(),
                    name.as_os_str(),
                    sflag,
                    Mode::from_bits_truncate(0o600),
                    makedev(major.into(), minor.into()),
                )
                .map_err(|err| Error::sys("create device node", &rel, err))?;
                self.chown_nofollow(&parent, &name, &rel, uid, gid)?;
                // fchmodat(AT_SYMLINK_NOFOLLOW) (fchmodat2 on Linux ≥ 6.6) never follows a link.
                fchmodat(
                    parent.as_fd(),
                    name.as_os_str(),
                    mode,
                    FchmodatFlags::NoFollowSymlink,
                )
                .map_err(|err| Error::sys("chmod", &rel, err))?;
            }
            // pax/GNU metadata records and anything exotic: nothing to create.
            _ => return Ok(()),
        }
        self.report.entries += 1;
        Ok(())
    }

    /// The root directory entry (`./`): only its metadata can be applied.
    pub(super) fn root_entry<R: Read>(
        &mut self,
        e: &mut Entry<R>,
        raw: &Path,
    ) -> Result<(), Error> {
        if e.header().entry_type() != EntryType::Directory {
            return Err(Error::HostileEntry {
                entry: raw.to_path_buf(),
                reason: "replaces the root of the layer with something that is not a directory"
                    .into(),
            });
        }
        Ok(())
    }

    pub(super) fn hardlink<R: Read>(
        &mut self,
        e: &mut Entry<R>,
        parent: &OwnedFd,
        name: &OsStr,
        path: &EntryPath,
    ) -> Result<(), Error> {
        let rel = path.to_path_buf();
        let raw_target = e
            .link_name()
            .map_err(|err| Error::io("read link target", &rel, err))?
            .unwrap_or_default()
            .into_owned();
        let target = EntryPath::parse(&raw_target).map_err(|_| Error::HostileEntry {
            entry: rel.clone(),
            reason: format!("hard link to {raw_target:?} climbs out with `..`"),
        })?;
        if target.is_root() || target == *path {
            return Err(Error::HostileEntry {
                entry: rel,
                reason: format!("hard link to {raw_target:?} names the root or itself"),
            });
        }
        // The link source is looked up inside the root too: `/etc/shadow` means <root>/etc/shadow.
        let (tdir, tname) = self.parent_of(&target, false)?;
        match kind_at(&tdir, &tname).map_err(|err| Error::sys("stat", target.to_path_buf(), err))? {
            None => {
                return Err(Error::HostileEntry {
                    entry: rel,
                    reason: format!("hard link to {raw_target:?}, which is not in this layer"),
                });
            }
            Some(SFlag::S_IFDIR) => {
                return Err(Error::HostileEntry {
                    entry: rel,
                    reason: format!("hard link to the directory {raw_target:?}"),
                });
            }
            Some(_) => {}
        }
        remove_all_at(parent, name).map_err(|err| Error::sys("replace", &rel, err))?;
        // linkat(2) without AT_SYMLINK_FOLLOW: if the source is a symlink, we link the symlink.
        linkat(
            tdir.as_fd(),
            tname.as_os_str(),
            parent.as_fd(),
            name,
            AtFlags::empty(),
        )
        .map_err(|err| Error::sys("create hard link", &rel, err))
    }
}
