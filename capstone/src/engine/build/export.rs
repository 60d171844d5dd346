//! `--output`: the target stage's files, out of the engine — as a directory
//! (`type=local,dest=DIR`, or just `DIR`) or a tar archive (`type=tar,dest=FILE`, `-` for
//! stdout), as BuildKit's local and tar exporters write them. The image's layers are applied
//! in order, whiteouts deleting what they hide (lesson 04's `unpack_flat`), so what comes out
//! is the root file system a container of the image would see.

use super::run::Scratch;
use crate::{Error, Result};
use images::{ApplyOptions, Image, Store};
use std::path::{Path, PathBuf};

/// Where `--output` sends the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A directory, created if missing (it must be empty).
    Local(PathBuf),
    /// A tar archive at this path, or on stdout for `-`.
    Tar(PathBuf),
}

/// Parses `type=local,dest=DIR`, `type=tar,dest=FILE` or a bare `DIR` (Docker's `-o DIR`).
pub fn parse(spec: &str) -> std::result::Result<Output, String> {
    if !spec.contains('=') {
        return Ok(Output::Local(spec.into()));
    }
    let (mut kind, mut dest) = (None, None);
    for field in spec.split(',') {
        match field.split_once('=') {
            Some(("type", v)) => kind = Some(v.to_string()),
            Some(("dest", v)) => dest = Some(PathBuf::from(v)),
            _ => return Err(format!("{field:?}: use type=local|tar,dest=PATH")),
        }
    }
    let dest = dest.ok_or("give dest=PATH")?;
    match kind.as_deref() {
        Some("local") => Ok(Output::Local(dest)),
        Some("tar") => Ok(Output::Tar(dest)),
        Some(other) => Err(format!("type={other}: only local and tar can be exported")),
        None => Err("give type=local or type=tar".into()),
    }
}

/// Writes the files of `image` where `output` says; `scratch_dir` holds the tree for a tar.
pub fn export(store: &Store, image: &Image, output: &Output, scratch_dir: &Path) -> Result<()> {
    let opts = ApplyOptions::default();
    match output {
        Output::Local(dir) => {
            let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none());
            match empty {
                Ok(true) => std::fs::remove_dir(dir).map_err(Error::io("replace", dir))?,
                Ok(false) => {
                    return Err(Error::invalid(
                        "--output",
                        dir.display().to_string(),
                        "the directory is not empty: choose a new or empty one",
                    ));
                }
                Err(_) => {} // missing: unpack_flat creates it
            }
            store.unpack_flat(image, dir, &opts)?;
        }
        Output::Tar(file) => {
            let scratch = Scratch::new(scratch_dir)?;
            let tree = scratch.sub("export")?.join("rootfs");
            store.unpack_flat(image, &tree, &opts)?;
            let sink: Box<dyn std::io::Write> = if file.as_os_str() == "-" {
                Box::new(std::io::stdout().lock())
            } else {
                Box::new(std::fs::File::create(file).map_err(Error::io("create", file))?)
            };
            // Entries named relative to the root (`etc/passwd`), owners and modes kept, links
            // stored as links.
            let mut tar = tar::Builder::new(sink);
            tar.follow_symlinks(false);
            let fail = || Error::io("write the --output archive", file.clone());
            let mut entries: Vec<_> = std::fs::read_dir(&tree)
                .map_err(Error::io("read", &tree))?
                .collect::<std::io::Result<_>>()
                .map_err(Error::io("read", &tree))?;
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                let path = entry.path();
                let name = entry.file_name();
                if path.is_dir() && !path.is_symlink() {
                    tar.append_dir_all(&name, &path).map_err(fail())?;
                } else {
                    tar.append_path_with_name(&path, &name).map_err(fail())?;
                }
            }
            tar.into_inner()
                .and_then(|mut w| w.flush())
                .map_err(fail())?;
        }
    }
    Ok(())
}
