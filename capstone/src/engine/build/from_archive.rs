//! A build whose context arrives as one tar archive — the body of Docker's `POST /build`, which
//! the `docker` CLI makes from the context directory (tar(5), maybe gzip-compressed). The
//! archive is unpacked with [`super::archive::unpack`], which refuses every entry that would
//! land outside the scratch directory (`..`, absolute paths, through symlinks), then built as
//! `capstone build` builds a directory.

use super::{BuildOptions, BuildOutcome, archive, build, context};
use crate::engine::Engine;
use crate::{Error, Result};
use std::io::Write;

impl Engine {
    /// Unpacks `context` (a tar archive) into a scratch directory under the state root and
    /// builds it with `opts` (its `context`, `root` and `runroot` are set here; its
    /// `dockerfile`, if any, is a path inside the archive). The scratch goes on every path.
    pub fn build_from_archive(
        &self,
        context: &[u8],
        mut opts: BuildOptions,
    ) -> Result<BuildOutcome> {
        let scratch_root = self.paths.root.join("build-tmp");
        std::fs::create_dir_all(&scratch_root).map_err(Error::io("create", &scratch_root))?;
        let scratch = tempfile::Builder::new()
            .prefix("context-")
            .tempdir_in(&scratch_root)
            .map_err(Error::io("create a directory in", &scratch_root))?;
        let tar_path = scratch.path().join("context.tar");
        let dir = scratch.path().join("context");
        std::fs::create_dir(&dir).map_err(Error::io("create", &dir))?;
        std::fs::File::create(&tar_path)
            .and_then(|mut f| f.write_all(context))
            .map_err(Error::io("write", &tar_path))?;
        if !context.is_empty() {
            archive::unpack(&tar_path, &dir)
                .map_err(|why| Error::invalid("build context", "the request body", why))?;
        }
        if let Some(file) = &opts.dockerfile {
            if !context::is_plain_relative(file) {
                return Err(Error::invalid(
                    "dockerfile",
                    file.display().to_string(),
                    "name a file inside the build context, without `..`",
                ));
            }
            opts.dockerfile = Some(dir.join(file));
        }
        opts.context = dir;
        opts.root = self.paths.root.clone();
        opts.runroot = self.paths.runroot.clone();
        let _writing = crate::engine::gc::lock_for_writing(&self.paths)?;
        build(&opts) // `scratch` is removed when it goes out of scope, whatever the outcome
    }
}
