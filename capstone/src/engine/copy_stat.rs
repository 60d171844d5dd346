//! What `docker cp` asks about a path before it copies: lstat(2) inside the container's root,
//! reported as moby's `ContainerPathStat` (`HEAD /containers/{id}/archive`). The mode is Go's
//! `os.FileMode`, not the kernel's `st_mode`: the type is one high bit each (directory
//! `1 << 31`, symlink `1 << 27`…), because the CLI tests it with `Mode.IsDir()`.
//!
//! Also here: the check `docker cp` asks for with `noOverwriteDirNonDir` (moby's
//! `archive.Unpack`): an archive that would put a file where a directory is, or the reverse,
//! is refused before anything is written (the extractor alone would replace it).

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
    /// lstat(2)ed inside the container's root. Names that climb or are absolute are left to
    /// the extractor, which keeps them inside.
    pub fn check_no_dir_swaps(&self, query: &str, dest: &str, archive: &[u8]) -> Result<()> {
        let record = self.container(query)?;
        let bad_archive = |e: std::io::Error| Error::invalid("archive", "", e.to_string());
        self.in_root(&record, || {
            let mut tar = tar::Archive::new(archive);
            for entry in tar.entries().map_err(bad_archive)? {
                let entry = entry.map_err(bad_archive)?;
                let name = entry.path().map_err(bad_archive)?.into_owned();
                let plain = |c: Component| matches!(c, Component::Normal(_) | Component::CurDir);
                if !name.components().all(plain) {
                    continue;
                }
                // Rebuilt from its components: a directory's `name/` would make lstat(2) of
                // a file fail with ENOTDIR.
                let there = Path::new(dest).join(name.components().collect::<PathBuf>());
                let Ok(existing) = std::fs::symlink_metadata(&there) else {
                    continue;
                };
                let (was_dir, is_dir) = (existing.is_dir(), entry.header().entry_type().is_dir());
                let why = match (was_dir, is_dir) {
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
