//! Docker's copy-up: a new volume mounted over a directory the image has is first filled with
//! that directory's files, so `-v pgdata:/var/lib/postgresql` starts from what the image put
//! there instead of hiding it under an empty directory.
//!
//! Docker's rule, kept here: copy only into an *empty* volume, then give the volume's root the
//! owner and mode of the image's directory (so a non-root user can still write where the image
//! let it). Owners, modes, times, symlinks (as links, never followed) and special files are
//! kept, with lchown(2), chmod(2), utimensat(2) and mknod(2); hard links become copies and
//! extended attributes are not copied. It runs in the container's first process before
//! pivot_root(2); a flock(2) on the volume makes containers starting at once take turns, so
//! none of them sees a half-filled volume.

use nix::fcntl::{AT_FDCWD, Flock, FlockArg};
use nix::sys::stat::{Mode, SFlag, UtimensatFlags, mknod, utimensat};
use nix::sys::time::TimeSpec;
use std::fs::{self, File, Metadata};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Fills the volume directory `data` from `image_dir` (the image's directory at the mount
/// target, e.g. `/proc/self/fd/N` of an `O_PATH` descriptor) if the volume is empty.
pub fn populate(data: &Path, image_dir: &Path) -> io::Result<()> {
    let image_meta = fs::metadata(image_dir)?;
    if !image_meta.is_dir() {
        return Ok(()); // a file in the image: Docker copies nothing then
    }
    let volume_dir = data.parent().unwrap_or(data);
    let _turn = Flock::lock(File::open(volume_dir)?, FlockArg::LockExclusive)
        .map_err(|(_, errno)| io::Error::from(errno))?;
    if fs::read_dir(data)?.next().is_some() {
        return Ok(()); // not new: its content is the volume's, not the image's
    }
    copy_tree(image_dir, data)?;
    copy_metadata(&image_meta, data)
}

/// Copies the entries of directory `from` into the existing, empty directory `to`. Only what
/// lstat(2) says is a directory is descended into, and regular files are opened with
/// `O_NOFOLLOW`, so no symlink in the image is ever followed.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let meta = fs::symlink_metadata(&src)?;
        let kind = meta.file_type();
        if kind.is_dir() {
            fs::create_dir(&dst)?;
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
        } else if kind.is_file() {
            let mut input = fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&src)?;
            let mut output = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&dst)?;
            io::copy(&mut input, &mut output)?;
        } else {
            // A fifo, socket or device node: made anew (a device stays unusable: volumes are
            // mounted `nodev`).
            let kind = SFlag::from_bits_truncate(meta.mode() & libc::S_IFMT);
            mknod(
                &dst,
                kind,
                Mode::from_bits_truncate(meta.mode()),
                meta.rdev(),
            )?;
        }
        copy_metadata(&meta, &dst)?;
    }
    Ok(())
}

/// Owner first (chown(2) clears set-user-ID bits), then mode (not for symlinks, whose mode
/// Linux ignores), then times — after the children, so a directory's mtime survives.
fn copy_metadata(meta: &Metadata, path: &Path) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(meta.uid()), Some(meta.gid()))?;
    if !meta.file_type().is_symlink() {
        fs::set_permissions(path, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    }
    let atime = TimeSpec::new(meta.atime(), meta.atime_nsec());
    let mtime = TimeSpec::new(meta.mtime(), meta.mtime_nsec());
    utimensat(
        AT_FDCWD,
        path,
        &atime,
        &mtime,
        UtimensatFlags::NoFollowSymlink,
    )?;
    Ok(())
}
