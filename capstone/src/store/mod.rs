//! The engine's state on disk, and nothing else: records of containers ([`containers`]),
//! volumes ([`volumes`]), networks ([`networks`]), registry logins ([`credentials`]) and image
//! names ([`image_refs`], over lesson 04's image store). There is no daemon: every command is
//! a process that reads and writes these files, so they are the only truth, and they must
//! survive any process dying.
//!
//! ```text
//! <root>/images/                      the image store (lesson 04)
//! <root>/containers/<id>/config.json  one record per container (model::container::Container)
//! <root>/containers/<id>/<id>-json.log  its output, one JSON object per line (Docker's format)
//! <root>/containers/<id>/{upper,work}  its overlay layer (lesson 03)
//! <root>/creating/<id>/               a container being created, until one rename(2)
//!                                     (`creating/` has ext4's `chattr +T`: see below)
//! <root>/removing/<id>/               a removed container's directory, being deleted
//! <root>/volumes/<name>/              named and anonymous volumes
//! <root>/networks/                    lesson 06's IPAM and the networks' ids
//! <runroot>/locks/names.lock          flock(2) taken while a name is checked and claimed
//! <runroot>/rootfs/                   the empty directory every container's overlay is
//!                                     mounted on, each in its own mount namespace
//! ```
//!
//! A record's read-modify-write takes a flock(2) on its container's directory itself.
//!
//! Every record is written atomically (temp file, rename(2); a new one in its directory before
//! the directory's one rename into the store), so a reader sees the old record or the new
//! one, never half of one, whichever process dies when; flock(2) locks are released
//! by the kernel when their holder dies, so a killed command never leaves the store locked.
//! Nothing in this layer has a side effect beyond its files and locks: noticing that a
//! container died unrecorded, and cleaning up after it, is the engine's `reconcile`.

pub mod containers;
pub mod credentials;
pub mod image_refs;
pub mod networks;
pub mod oci_state;
pub mod registries;
pub mod volumes;

use crate::{Error, Result};
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Where the engine keeps its state: persistent files under `root`, locks under `runroot`.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `--root` / `CAPSTONE_ROOT` (default `/var/lib/capstone`).
    pub root: PathBuf,
    /// `--runroot` / `CAPSTONE_RUNROOT` (default `/run/capstone`): lost at reboot, like locks.
    pub runroot: PathBuf,
}

/// An exclusive flock(2) on a lock file, released when dropped (or when the process dies).
pub type Lock = Flock<File>;

impl Paths {
    /// Opens (creating if needed) the state directories.
    pub fn open(root: &Path, runroot: &Path) -> Result<Paths> {
        let paths = Paths {
            root: absolute(root)?,
            runroot: absolute(runroot)?,
        };
        for dir in [
            paths.containers(),
            paths.images(),
            paths.runroot.join("locks"),
            paths.rootfs_mount_point(),
            paths.creating(),
        ] {
            std::fs::create_dir_all(&dir).map_err(Error::io("create state directory", &dir))?;
        }
        spread_subdirectories(&paths.creating());
        Ok(paths)
    }

    /// `<root>/containers`.
    pub fn containers(&self) -> PathBuf {
        self.root.join("containers")
    }

    /// `<root>/images`: the lesson-04 image store.
    pub fn images(&self) -> PathBuf {
        self.root.join("images")
    }

    /// The image store.
    pub fn store(&self) -> Result<images::Store> {
        Ok(images::Store::open(self.images())?)
    }

    /// The directory of one container.
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.containers().join(id)
    }

    /// `<root>/creating`: where a new container's directory is filled, to enter
    /// `<root>/containers` complete, in one rename(2) (`engine::create`).
    pub fn creating(&self) -> PathBuf {
        self.root.join("creating")
    }

    /// `<runroot>/rootfs`: an empty directory that every container's root filesystem is
    /// mounted on, each in its own mount namespace (mount_namespaces(7): a mount made there
    /// is seen by nobody else), so no container needs a mount point of its own on the disk.
    pub fn rootfs_mount_point(&self) -> PathBuf {
        self.runroot.join("rootfs")
    }

    /// `<root>/removing`: where a removed container's directory goes, in one rename(2), to
    /// be deleted in the background (`engine::remove`).
    pub fn removing(&self) -> PathBuf {
        self.root.join("removing")
    }

    /// The record of one container.
    pub fn record(&self, id: &str) -> PathBuf {
        self.container_dir(id).join("config.json")
    }

    /// The log file of one container (the name Docker's json-file driver uses).
    pub fn log(&self, id: &str) -> PathBuf {
        self.container_dir(id).join(format!("{id}-json.log"))
    }

    /// Takes the lock of one container's record (blocking until it is free): a flock(2) on
    /// the container's directory. A lock file of its own would cost an inode to make and one
    /// to delete per container, and whoever waited on a deleted lock file would hold a lock
    /// nobody else sees; a directory's lock goes with the directory, and a waiter that gets
    /// it after a `rm` finds the container gone ([`Error::NoSuchContainer`]).
    pub fn lock(&self, id: &str) -> Result<Lock> {
        let dir = self.container_dir(id);
        let file = match File::open(&dir) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoSuchContainer(id.into()));
            }
            Err(e) => return Err(Error::io("open", &dir)(e)),
        };
        flock(file, &dir)
    }

    /// Takes the lock that makes "is this name free? then claim it" one step.
    pub fn lock_names(&self) -> Result<Lock> {
        lock_file(&self.runroot.join("locks/names.lock"))
    }
}

// ANCHOR: spread
/// ext4's "top of a directory hierarchy" flag (`FS_TOPDIR_FL` in linux/fs.h, `chattr +T`).
const FS_TOPDIR_FL: libc::c_int = 0x0002_0000;

/// Asks ext2/3/4 to place each new subdirectory of `dir` in a block group of its own choosing,
/// as it does for the subdirectories of `/` (`chattr +T`, chattr(1): the Orlov allocator's
/// "top of directory hierarchies"), through the FS_IOC_GETFLAGS/FS_IOC_SETFLAGS ioctl(2)s
/// (ioctl_iflags(2)). Without it every container's directory and files land in the block
/// group of `creating/`. On ext4 without a journal that is slow: a new inode is never one
/// deleted in the last minute or more (ext4's `recently_deleted()`), and finding a free one
/// walks past every such inode in the group, so a group where thousands of containers' files
/// were just deleted makes each new file cost a walk through them. Elsewhere the ioctl fails
/// (tmpfs, xfs, btrfs) and nothing changes: the flag is only a hint to one allocator.
fn spread_subdirectories(dir: &Path) {
    let Ok(file) = File::open(dir) else {
        return;
    };
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let mut flags: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one int (the kernel's, despite the `long` in its name)
    // to the address given, which is `flags`, alive for the call.
    if unsafe { libc::ioctl(fd, libc::FS_IOC_GETFLAGS, &mut flags) } != 0
        || flags & FS_TOPDIR_FL != 0
    {
        return;
    }
    flags |= FS_TOPDIR_FL;
    // SAFETY: FS_IOC_SETFLAGS reads one int from the address given, which is `flags`.
    let _ = unsafe { libc::ioctl(fd, libc::FS_IOC_SETFLAGS, &flags) };
}
// ANCHOR_END: spread

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(Error::io("resolve", path))
}

/// Opens `path` (creating it) and takes an exclusive flock(2) on it. Why flock and not a
/// lock directory: the kernel drops a flock when its process dies, so a crash cannot wedge
/// the store.
pub fn lock_file(path: &Path) -> Result<Lock> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(Error::io("open lock file", path))?;
    flock(file, path)
}

/// An exclusive flock(2) on `file` (opened from `path`), waiting until it is free.
fn flock(file: File, path: &Path) -> Result<Lock> {
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, errno)| Error::sys(format!("flock({})", path.display()))(errno))
}
