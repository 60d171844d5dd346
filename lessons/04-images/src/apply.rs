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
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use nix::unistd::Uid;

mod entry;
mod metadata;
mod whiteouts;

use crate::Error;
use crate::digest::{Digest, HashingReader};
use crate::layer::{LimitedReader, stream_error};
use crate::safe_path::EntryPath;

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
    /// The layers below this one as directories, topmost first (for [`WhiteoutMode::Overlay`]):
    /// parent directories the tar does not list copy their owner and mode from here.
    pub lower_dirs: Vec<PathBuf>,
}

impl Default for ApplyOptions {
    fn default() -> ApplyOptions {
        let root = Uid::effective().is_root();
        ApplyOptions {
            whiteouts: WhiteoutMode::Apply,
            max_bytes: 16 << 30,
            devices: root && !in_user_namespace(),
            owners: root,
            lower_dirs: Vec::new(),
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
    let lowers = opts
        .lower_dirs
        .iter()
        .map(|d| {
            open(
                d,
                OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| Error::sys("open lower layer", d, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut a = Applier {
        root,
        lowers,
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
        // A later entry may have replaced the directory; times are best effort, like tar(1).
        let Ok((parent, name)) = a.parent_of(&path, false) else {
            continue;
        };
        Applier::set_mtime_nofollow(&parent, name.as_os_str(), mtime);
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
    /// The lower layers' directories, topmost first (O_PATH fds).
    lowers: Vec<OwnedFd>,
    opts: ApplyOptions,
    /// Paths this layer created (whiteouts only hide what lies *below*, OCI layer.md).
    written: HashSet<PathBuf>,
    dir_times: Vec<(EntryPath, u64)>,
    report: ApplyReport,
}
