//! `docker import`: a root file system (a tarball or a directory) becomes a one-layer image.
//!
//! This is the whole recipe for building an image by hand, and shows what each document holds:
//! the layer blob (gzip of the tar) and its diff ID (sha256 of the tar itself), a config naming
//! that diff ID and the default command, a manifest naming the config and the layer by digest
//! and size, and a tag naming the manifest.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use crate::Error;
use crate::build::ImageBuilder;
use crate::image::Image;
use crate::store::Store;

/// What to put in the config of an imported image.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Default command (`Cmd`), e.g. `["/bin/sh"]`.
    pub cmd: Vec<String>,
    /// `Entrypoint`, prepended to the command.
    pub entrypoint: Vec<String>,
    /// Environment (`KEY=value`); `PATH` is added if missing.
    pub env: Vec<String>,
    /// `WorkingDir` (empty: `/`).
    pub working_dir: String,
    /// `User` (`name`, `uid`, `uid:gid`; empty: root).
    pub user: String,
}

/// The `PATH` an image gets when it says nothing else (Docker's default).
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Imports a root file system tarball (plain or gzip) as a one-layer image tagged `reference`.
pub fn import_tar(
    store: &Store,
    tar: impl Read,
    reference: &str,
    opts: &ImportOptions,
) -> Result<Image, Error> {
    let mut builder = ImageBuilder::new(store);
    builder.add_layer(tar)?;
    builder.commit(reference, opts)
}

/// Imports a directory as a one-layer image: tars it up (owners, modes, symlinks kept, symlinks
/// not followed) and calls [`import_tar`].
pub fn import_dir(
    store: &Store,
    dir: &Path,
    reference: &str,
    opts: &ImportOptions,
) -> Result<Image, Error> {
    let mut tmp = tempfile::tempfile_in(store.root().join("tmp"))
        .map_err(|e| Error::io("create temporary file in", store.root(), e))?;
    {
        let mut b = tar::Builder::new(&mut tmp);
        b.follow_symlinks(false);
        b.append_dir_all(".", dir)
            .map_err(|e| Error::io("archive", dir, e))?;
        b.finish().map_err(|e| Error::io("archive", dir, e))?;
    }
    tmp.rewind().map_err(|e| Error::io("rewind", dir, e))?;
    import_tar(store, tmp, reference, opts)
}

/// Imports the tarball at `path`.
pub fn import_tar_file(
    store: &Store,
    path: &Path,
    reference: &str,
    opts: &ImportOptions,
) -> Result<Image, Error> {
    let f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    import_tar(store, f, reference, opts)
}

/// `env` with [`DEFAULT_PATH`] in front if it sets no `PATH`.
pub fn with_default_path(env: &[String]) -> Vec<String> {
    let mut env = env.to_vec();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    env
}
