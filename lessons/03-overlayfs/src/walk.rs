//! Reading directories in a stable order, so diffs, tar layers and printed listings come out
//! the same on every run (readdir(3) order depends on the filesystem's hash, not on names).

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::path::Path;

use crate::error::{IoContext, Result};

/// The entries of `dir` with their lstat(2) metadata (symlinks are not followed), sorted by
/// name.
pub fn read_dir_sorted(dir: &Path) -> Result<Vec<(OsString, Metadata)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).with_path("read dir", dir)? {
        let entry = entry.with_path("read dir", dir)?;
        let meta = fs::symlink_metadata(entry.path()).with_path("stat", entry.path())?;
        entries.push((entry.file_name(), meta));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}
