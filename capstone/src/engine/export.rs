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

impl Engine {
    /// `diff`: what the container changed in its image's files, read from its overlay upper
    /// directory (lesson 03's [`overlay::changes`]: whiteouts are `D`, the rest `A` or `C`).
    pub fn changes(&self, query: &str) -> Result<Vec<overlay::Change>> {
        let record = super::reconcile::find_observed(&self.paths, query)?;
        Ok(overlay::changes(
            &record.rootfs.upper_dir,
            &record.rootfs.lower_dirs,
        )?)
    }
}
