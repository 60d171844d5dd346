//! A throw-away directory for the steps and tests: the lower, upper, work and merged dirs of
//! one or more overlays live under it, and it is removed when dropped. Mount guards must be
//! dropped first (declare them after the `Scratch`, so they drop before it).

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::error::{IoContext, Result};

/// A temporary directory (mkdtemp(3) under `$TMPDIR`) to build layers in.
#[derive(Debug)]
pub struct Scratch {
    dir: TempDir,
}

impl Scratch {
    /// Create a fresh scratch dir named `overlay-lab-XXXXXX`.
    pub fn new() -> Result<Scratch> {
        let dir = tempfile::Builder::new()
            .prefix("overlay-lab-")
            .tempdir()
            .with_path("create scratch dir in", std::env::temp_dir())?;
        Ok(Scratch { dir })
    }

    /// The scratch dir itself.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Create (if needed) and return the sub-directory `name`.
    pub fn dir(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.path().join(name);
        fs::create_dir_all(&path).with_path("create dir", &path)?;
        Ok(path)
    }

    /// The lower, upper, work and merged dirs for one overlay named `name`:
    /// `NAME-upper`, `NAME-work`, `NAME-merged` (returned as upper, work, merged).
    pub fn overlay_dirs(&self, name: &str) -> Result<(PathBuf, PathBuf, PathBuf)> {
        Ok((
            self.dir(&format!("{name}-upper"))?,
            self.dir(&format!("{name}-work"))?,
            self.dir(&format!("{name}-merged"))?,
        ))
    }
}

/// Write `content` to `path`, creating its parent directories.
pub fn write_file(path: &Path, content: impl AsRef<[u8]>) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_path("create dir", parent)?;
    }
    fs::write(path, content).with_path("write", path)
}
