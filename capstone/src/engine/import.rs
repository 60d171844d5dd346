//! `import`: a root file system tarball (plain or gzip) becomes a one-layer image (lesson 04's
//! `import_tar`), with `--change` setting the few config fields an import may set. Shared by
//! `capstone import` and the Engine API's `POST /images/create?fromSrc=-` (`docker import`).

use super::Engine;
use crate::store::image_refs as images_ref;
use crate::{Error, Result};
use std::io::Read;

impl Engine {
    /// Imports `tar` as an image tagged `reference` (`imported:latest` without one), with each
    /// `--change` instruction applied to its config. Holds the image store's write lock
    /// (flock(2), shared), as every writer of the store does, so that no collection sweeps the
    /// new blobs before the tag names them.
    pub fn import(
        &self,
        tar: impl Read,
        reference: Option<&str>,
        changes: &[String],
    ) -> Result<images::Image> {
        let mut opts = images::ImportOptions::default();
        for change in changes {
            apply_change(&mut opts, change)?;
        }
        let reference = images_ref::normalize(reference.unwrap_or("imported:latest"))?;
        let _writing = super::gc::lock_for_writing(&self.paths)?;
        let store = self.paths.store()?;
        Ok(images::import_tar(&store, tar, &reference, &opts)?)
    }
}

/// `--change 'CMD ["/bin/sh"]'`: the few Dockerfile instructions an import may set.
fn apply_change(opts: &mut images::ImportOptions, change: &str) -> Result<()> {
    let (instruction, value) = change
        .trim()
        .split_once(char::is_whitespace)
        .unwrap_or((change, ""));
    let value = value.trim();
    let list = || -> Vec<String> {
        serde_json::from_str::<Vec<String>>(value)
            .unwrap_or_else(|_| vec!["/bin/sh".into(), "-c".into(), value.into()])
    };
    match instruction.to_ascii_uppercase().as_str() {
        "CMD" => opts.cmd = list(),
        "ENTRYPOINT" => opts.entrypoint = list(),
        "ENV" => opts
            .env
            .push(value.replacen(' ', "=", usize::from(!value.contains('=')))),
        "WORKDIR" => opts.working_dir = value.into(),
        "USER" => opts.user = value.into(),
        _ => {
            return Err(Error::invalid(
                "--change",
                change,
                "supported: CMD, ENTRYPOINT, ENV, WORKDIR, USER",
            ));
        }
    }
    Ok(())
}
