//! What `docker cp` over the API needs beyond [`super::copy`], as moby's
//! `daemon/archive.go` does it:
//!
//! - the stat it asks for first: lstat(2) inside the container's root, reported as moby's
//!   `ContainerPathStat` (`HEAD /containers/{id}/archive`). The mode is Go's `os.FileMode`,
//!   not the kernel's `st_mode`: the type is one high bit each (directory `1 << 31`, symlink
//!   `1 << 27`…), because the CLI tests it with `Mode.IsDir()`;
//! - `noOverwriteDirNonDir` (moby's `archive.Unpack`): an archive that would put a file where
//!   a directory is, or the reverse, is refused before anything is written (the extractor
//!   alone would replace it);
//! - names starting with `.wh.`, which the extractor would read as deletions, are refused;
//! - `copyUIDGID` (moby's `tarCopyOptions`): the copies belong to the container's `User`, if
//!   it has one; otherwise, and without the flag, the archive's own owners stay.

use super::Engine;
use crate::model::clock;
use crate::{Error, Result};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// A path inside a container, as lstat(2) saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    /// The last component (`/` for the root).
    pub name: String,
    /// `st_size` in bytes.
    pub size: u64,
    /// The mode in Go's `os.FileMode` encoding (see the module's doc).
    pub mode: u32,
    /// `st_mtime` as an RFC 3339 timestamp.
    pub mtime: String,
    /// For a symlink, what it resolves to inside the container (else empty).
    pub link_target: String,
}

impl Engine {
    /// lstat(2) of `path` inside the container `query` names; `None` when nothing is there.
    pub fn stat_in_container(&self, query: &str, path: &str) -> Result<Option<PathStat>> {
        let record = self.container(query)?;
        let path = Path::new(if path.is_empty() { "/" } else { path });
        self.in_root(&record, || {
            let Ok(meta) = std::fs::symlink_metadata(path) else {
                return Ok(None);
            };
            let link_target = match meta.file_type().is_symlink() {
                // Resolved as the container sees it; a dangling link as it reads.
                true => std::fs::canonicalize(path)
                    .or_else(|_| std::fs::read_link(path))
                    .map_or_else(|_| String::new(), |p| p.display().to_string()),
                false => String::new(),
            };
            Ok(Some(PathStat {
                name: path
                    .file_name()
                    .map_or_else(|| "/".to_string(), |n| n.to_string_lossy().into_owned()),
                size: meta.size(),
                mode: go_file_mode(meta.mode()),
                mtime: clock::format(meta.modified().unwrap_or(std::time::UNIX_EPOCH)),
                link_target,
            }))
        })
    }
}

impl Engine {
    /// Refuses `archive` (a tar) if one of its entries would replace a directory below `dest`
    /// in container `query` with a non-directory, or a non-directory with a directory: both
    /// lstat(2)ed inside the container's root.
    pub fn check_no_dir_swaps(&self, query: &str, dest: &str, archive: &[u8]) -> Result<()> {
        let record = self.container(query)?;
        self.in_root(&record, || {
            for (name, is_dir) in plain_entries(archive)? {
                let there = Path::new(dest).join(name);
                let Ok(existing) = std::fs::symlink_metadata(&there) else {
                    continue;
                };
                let why = match (existing.is_dir(), is_dir) {
                    (true, false) => "cannot overwrite directory with non-directory",
                    (false, true) => "cannot overwrite non-directory with directory",
                    _ => continue,
                };
                return Err(Error::invalid(
                    "archive entry",
                    there.display().to_string(),
                    why,
                ));
            }
            Ok(())
        })
    }

    /// After `archive` was unpacked below `dest`: if container `query` has a `User`, each of
    /// its entries is lchown(2)ed to that user's uid and gid (`copyUIDGID`).
    pub fn chown_to_container_user(&self, query: &str, dest: &str, archive: &[u8]) -> Result<()> {
        let record = self.container(query)?;
        let (user, uid, gid) = (&record.config.user, record.config.uid, record.config.gid);
        if user.is_empty() {
            return Ok(());
        }
        self.in_root(&record, || {
            for (name, _) in plain_entries(archive)? {
                let there = Path::new(dest).join(name);
                std::os::unix::fs::lchown(&there, Some(uid), Some(gid))
                    .map_err(Error::io("chown", &there))?;
            }
            Ok(())
        })
    }
}

/// Refuses an archive with an entry named `.wh.*`: lesson 04's extractor reads such a name as
/// an image layer's deletion marker (a whiteout) and would delete the file it names, where
/// `docker cp` means a plain file.
pub fn refuse_whiteouts(archive: &[u8]) -> Result<()> {
    for (name, _) in entries(archive)? {
        if name
            .file_name()
            .is_some_and(|n| n.as_encoded_bytes().starts_with(b".wh."))
        {
            return Err(Error::invalid(
                "archive entry",
                name.display().to_string(),
                "names starting with .wh. mark deletions in image layers and cannot be copied",
            ));
        }
    }
    Ok(())
}

/// Every entry of a tar archive: its name as written, and whether it is a directory.
fn entries(archive: &[u8]) -> Result<Vec<(PathBuf, bool)>> {
    let bad_archive = |e: std::io::Error| Error::invalid("archive", "", e.to_string());
    let mut entries = Vec::new();
    let mut tar = tar::Archive::new(archive);
    for entry in tar.entries().map_err(bad_archive)? {
        let entry = entry.map_err(bad_archive)?;
        let name = entry.path().map_err(bad_archive)?.into_owned();
        entries.push((name, entry.header().entry_type().is_dir()));
    }
    Ok(entries)
}

/// The entries of a tar archive whose names stay below where it is unpacked, each rebuilt
/// from its components (a directory's `name/` would make lstat(2) of a file fail with
/// ENOTDIR), and whether it is a directory. Names that climb or are absolute are left to the
/// extractor, which keeps them inside.
fn plain_entries(archive: &[u8]) -> Result<Vec<(PathBuf, bool)>> {
    let plain = |c: Component| matches!(c, Component::Normal(_) | Component::CurDir);
    Ok(entries(archive)?
        .into_iter()
        .filter(|(name, _)| name.components().all(plain))
        .map(|(name, is_dir)| (name.components().collect(), is_dir))
        .collect())
}

/// inode(7)'s `st_mode` as Go's `os.FileMode` (`io/fs` package: `ModeDir` … `ModeSticky`).
pub fn go_file_mode(st_mode: u32) -> u32 {
    let kind = match st_mode & libc::S_IFMT {
        libc::S_IFDIR => 1 << 31,
        libc::S_IFLNK => 1 << 27,
        libc::S_IFBLK => 1 << 26,
        libc::S_IFCHR => (1 << 26) | (1 << 21),
        libc::S_IFIFO => 1 << 25,
        libc::S_IFSOCK => 1 << 24,
        _ => 0,
    };
    let special = [
        (libc::S_ISUID, 1 << 23),
        (libc::S_ISGID, 1 << 22),
        (libc::S_ISVTX, 1 << 20),
    ]
    .iter()
    .filter(|(bit, _)| st_mode & bit != 0)
    .fold(0, |acc, (_, go)| acc | go);
    kind | special | (st_mode & 0o777)
}

#[cfg(test)]
mod tests {
    use super::go_file_mode;

    #[test]
    fn kernel_modes_become_gos() {
        assert_eq!(go_file_mode(libc::S_IFREG | 0o644), 0o644);
        assert_eq!(go_file_mode(libc::S_IFDIR | 0o755), (1 << 31) | 0o755);
        assert_eq!(go_file_mode(libc::S_IFLNK | 0o777), (1 << 27) | 0o777);
        assert_eq!(
            go_file_mode(libc::S_IFDIR | libc::S_ISVTX | 0o777),
            (1 << 31) | (1 << 20) | 0o777
        );
    }
}
