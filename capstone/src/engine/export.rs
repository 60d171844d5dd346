//! A container's files as the front ends show them: `export`, one tar archive (what `docker
//! export` writes, and what `import` takes back), read from a read-only overlay of its layers
//! ([`crate::mechanisms::rootfs_view`]; volumes and the container's `/proc`, `/sys` and `/dev`
//! mounts are not in it, as in Docker's); and `diff`, what it added, changed and deleted.

use super::Engine;
use crate::mechanisms::rootfs_view;
use crate::{Error, Result};
use std::io::Write;

impl Engine {
    /// Writes the container's filesystem to `out` as a tar archive (paths relative to its
    /// root, owners and modes kept, symlinks stored as links; tar(5) via the `tar` crate).
    pub fn export(&self, query: &str, out: &mut (dyn Write + Send)) -> Result<()> {
        let record = self.container(query)?;
        let scratch = self.paths.container_dir(&record.id);
        rootfs_view::read_only(&record.rootfs, &scratch, |root| {
            let mut archive = tar::Builder::new(&mut *out);
            archive.follow_symlinks(false);
            archive
                .append_dir_all("", root)
                .and_then(|()| archive.finish())
                .map_err(Error::io("archive the files of", &record.rootfs.upper_dir))
        })?;
        out.flush().map_err(Error::io("write", "the archive"))
    }
}

/// Files the engine bind-mounts over the container's own (its name and network identity):
/// writes to them go to the engine's copies, and the empty files made in the upper layer to
/// mount on are not the container's changes. Docker keeps them in an "init" layer below the
/// container's, so `docker diff` never lists them; neither do we.
const MOUNTED_FILES: [&str; 3] = ["/etc/resolv.conf", "/etc/hostname", "/etc/hosts"];

impl Engine {
    /// `diff`: what the container changed in its image's files, read from its overlay upper
    /// directory (lesson 03's [`overlay::changes`]: whiteouts are `D`, the rest `A` or `C`),
    /// without the mount points of the files the engine bind-mounts (`MOUNTED_FILES`).
    pub fn changes(&self, query: &str) -> Result<Vec<overlay::Change>> {
        let record = super::reconcile::find_observed(&self.paths, query)?;
        let mut changes = overlay::changes(&record.rootfs.upper_dir, &record.rootfs.lower_dirs)?;
        changes.retain(|c| {
            !MOUNTED_FILES
                .iter()
                .any(|f| c.path == std::path::Path::new(f))
        });
        Ok(changes)
    }
}
