//! Applying one layer tar onto a directory — safely.
//!
//! Every entry is placed with the same recipe: clean the name ([`EntryPath::parse`]), open its
//! parent *inside* the target with `openat2(2)`/`RESOLVE_IN_ROOT` (creating missing parents
//! there), then create the last component with an `*at(2)` call that never follows a symlink:
//! `openat(O_CREAT|O_EXCL|O_NOFOLLOW)`, `mkdirat`, `symlinkat`, `linkat` without
//! `AT_SYMLINK_FOLLOW`, `mknodat`. Metadata goes through the fd we created (`fchown`, `fchmod`,
//! `futimens`) or through `AT_SYMLINK_NOFOLLOW`, so chmod/chown/utimes cannot land on a
//! symlink's target. An existing file is *replaced* (unlinked, then created), never written
//! through — so a hard link planted earlier cannot carry our write to another file.

use std::cell::Cell;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, open, openat};
use nix::sys::stat::{
    FchmodatFlags, Mode, SFlag, UtimensatFlags, fchmod, fchmodat, futimens, makedev, mkdirat,
    mknodat, utimensat,
};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchown, fchownat, linkat, symlinkat};
use tar::{Entry, EntryType};

use crate::Error;
use crate::digest::{Digest, HashingReader};
use crate::layer::{LimitedReader, stream_error};
use crate::safe_path::{EntryPath, check_plain_name, mkdir_all_in_root, open_dir_in_root};
use crate::whiteout::{self as wh, kind_at, remove_all_at};

/// What to do with whiteout markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhiteoutMode {
    /// Delete the whited-out files: the target is a merged root file system.
    Apply,
    /// Write overlayfs whiteouts (0/0 devices, `trusted.overlay.opaque`): the target is one
    /// layer's own directory, to be used as an overlay lower.
    Overlay,
}

/// How to apply a layer.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Whiteout handling.
    pub whiteouts: WhiteoutMode,
    /// Upper bound on the uncompressed tar size, in bytes (a decompression-bomb guard).
    pub max_bytes: u64,
    /// Create device nodes. Default: only as root outside a user namespace.
    pub devices: bool,
    /// Apply the tar's owners with `fchown(2)`. Default: only as root (rootless extraction
    /// leaves everything owned by the caller, as `umoci unpack --rootless` does).
    pub owners: bool,
}

impl Default for ApplyOptions {
    fn default() -> ApplyOptions {
        let root = Uid::effective().is_root();
        ApplyOptions {
            whiteouts: WhiteoutMode::Apply,
            max_bytes: 16 << 30,
            devices: root && !in_user_namespace(),
            owners: root,
        }
    }
}

/// True if this process runs in a user namespace other than the initial one: there
/// `/proc/self/uid_map` is not the identity map of all 2³² ids (user_namespaces(7)).
pub fn in_user_namespace() -> bool {
    std::fs::read_to_string("/proc/self/uid_map")
        .map(|m| m.split_whitespace().collect::<Vec<_>>() != ["0", "0", "4294967295"])
        .unwrap_or(true)
}

/// What applying a layer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    /// The diff ID: sha256 of the uncompressed tar.
    pub diff_id: Digest,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Entries created (files, dirs, links, nodes).
    pub entries: u64,
    /// Whiteouts (including opaque markers) honoured.
    pub whiteouts: u64,
    /// Device nodes skipped because we may not create them.
    pub skipped_devices: u64,
    /// Overlay metadata (xattrs, 0/0 devices) from the tar that was dropped.
    pub dropped_overlay_metadata: u64,
    /// The tar stopped after its last entry without the end-of-archive blocks.
    pub missing_trailer: bool,
}

/// Applies a layer's uncompressed tar stream onto `target` (which must exist).
///
/// On error the target may hold part of the layer; callers that need all-or-nothing extract
/// into a fresh directory and rename it into place (as [`crate::Store::unpack`] does). Whatever
/// the error, nothing outside `target` has been created, changed or removed.
pub fn apply_layer(
    target: &Path,
    tar: impl Read,
    opts: &ApplyOptions,
) -> Result<ApplyReport, Error> {
    // The target itself is trusted (the caller chose it); everything below it is not.
    let root = open(
        target,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys("open target directory", target, e))?;
    let consumed = Rc::new(Cell::new(0u64));
    let counting = Counting {
        inner: tar,
        consumed: consumed.clone(),
    };
    let hashing = HashingReader::new(LimitedReader::new(counting, opts.max_bytes));
    let mut archive = tar::Archive::new(hashing);
    let mut a = Applier {
        root,
        opts: opts.clone(),
        written: HashSet::new(),
        dir_times: Vec::new(),
        report: ApplyReport {
            diff_id: Digest::of(b""),
            size: 0,
            entries: 0,
            whiteouts: 0,
            skipped_devices: 0,
            dropped_overlay_metadata: 0,
            missing_trailer: false,
        },
    };
    let what = target.display().to_string();
    let mut data_end = 0u64;
    for entry in archive.entries().map_err(|e| stream_error(e, &what))? {
        // ANCHOR: trailer
        let mut entry = match entry {
            Ok(e) => e,
            // The stream ended right after the last entry's data, without the padding and
            // the two zero blocks that close a tar. Go's archive/tar accepts that (and
            // `umoci insert` 0.4.7 writes such layers), so we do too; the diff ID still
            // covers exactly the bytes there are. Ending anywhere else is an error.
            Err(_) if data_end > 0 && consumed.get() == data_end => {
                a.report.missing_trailer = true;
                break;
            }
            Err(e) => return Err(stream_error(e, &what)),
        };
        // ANCHOR_END: trailer
        data_end = entry.raw_file_position() + entry.size();
        a.entry(&mut entry).map_err(|e| match e {
            Error::Io { source, .. } if is_stream_error(&source) => stream_error(source, &what),
            other => other,
        })?;
    }
    // Directory times last: creating entries inside a directory changes its mtime.
    for (path, mtime) in std::mem::take(&mut a.dir_times) {
        let (parent, name) = a.parent_of(&path, false)?;
        let t = TimeSpec::new(mtime as i64, 0);
        let _ = utimensat(
            parent.as_fd(),
            name.as_os_str(),
            &t,
            &t,
            UtimensatFlags::NoFollowSymlink,
        );
    }
    // Hash the tar's trailing zero blocks too: the diff ID covers the whole stream.
    let (diff_id, size) = archive
        .into_inner()
        .finish()
        .map_err(|e| stream_error(e, &what))?;
    a.report.diff_id = diff_id;
    a.report.size = size;
    Ok(a.report)
}

fn is_stream_error(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|i| i.is::<crate::layer::LimitExceeded>())
        || e.kind() == io::ErrorKind::InvalidData
        || e.kind() == io::ErrorKind::UnexpectedEof
}

/// Counts the bytes the tar parser has consumed (to recognise a missing end-of-archive).
struct Counting<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

struct Applier {
    root: OwnedFd,
    opts: ApplyOptions,
    /// Paths this layer created (whiteouts only hide what lies *below*, OCI layer.md).
    written: HashSet<PathBuf>,
    dir_times: Vec<(EntryPath, u64)>,
    report: ApplyReport,
}

impl Applier {
    fn entry<R: Read>(&mut self, e: &mut Entry<R>) -> Result<(), Error> {
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
                let t = TimeSpec::new(mtime as i64, 0);
                let _ = utimensat(
                    parent.as_fd(),
                    name.as_os_str(),
                    &t,
                    &t,
                    UtimensatFlags::NoFollowSymlink,
                );
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
    fn root_entry<R: Read>(&mut self, e: &mut Entry<R>, raw: &Path) -> Result<(), Error> {
        if e.header().entry_type() != EntryType::Directory {
            return Err(Error::HostileEntry {
                entry: raw.to_path_buf(),
                reason: "replaces the root of the layer with something that is not a directory"
                    .into(),
            });
        }
        Ok(())
    }

    /// Opens (optionally creating) the parent directory of `path` inside the root.
    fn parent_of(
        &self,
        path: &EntryPath,
        create: bool,
    ) -> Result<(OwnedFd, std::ffi::OsString), Error> {
        let name = path.file_name().expect("not the root").to_os_string();
        let parent = path.parent();
        let fd = if create {
            mkdir_all_in_root(&self.root, &parent)?
        } else {
            open_dir_in_root(&self.root, &parent)
                .map_err(|err| Error::sys("open directory", parent.to_path_buf(), err))?
        };
        Ok((fd, name))
    }

    fn mark_written(&mut self, rel: &Path) {
        for a in rel.ancestors() {
            if !self.written.insert(a.to_path_buf()) {
                break;
            }
        }
    }

    fn whiteout(&mut self, raw: &Path, path: &EntryPath, name: &OsStr) -> Result<(), Error> {
        let dir_path = path.parent();
        let overlay = self.opts.whiteouts == WhiteoutMode::Overlay;
        let dir = if overlay {
            mkdir_all_in_root(&self.root, &dir_path)?
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
    fn clear_lower(&self, dir: &OwnedFd, dir_path: &EntryPath) -> Result<(), Error> {
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

    fn hardlink<R: Read>(
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

    /// Owner then mode (chown(2) clears set-uid/set-gid bits, so chmod must come after it).
    fn fd_metadata(
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

    fn chown_nofollow(
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
    fn xattrs<R: Read>(&mut self, e: &mut Entry<R>, fd: &OwnedFd, rel: &Path) -> Result<(), Error> {
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
}
