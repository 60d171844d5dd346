//! `save` and `load`: images as one tar archive in Docker's `docker save` layout
//! (`manifest.json`, `repositories`, the blobs; lesson 04's [`images::archive`]), so images move
//! between machines without a registry. The CLI writes to a file or stdout, the API daemon
//! streams the archive (`GET /images/get`) or reads it from the request (`POST /images/load`).

use super::Engine;
use crate::store::image_refs;
use crate::{Error, Result};
use std::io::{Read, Write};

impl Engine {
    /// Writes the images `names` (with their tags) to `out` as one archive. Every name is
    /// checked before a byte is written: a missing image names itself in the error.
    pub fn save(&self, names: &[String], out: &mut dyn Write) -> Result<()> {
        let store = self.paths.store()?;
        let refs: Vec<String> = names
            .iter()
            .map(|n| image_refs::normalize(n))
            .collect::<Result<_>>()?;
        for (typed, full) in names.iter().zip(&refs) {
            if store.resolve(full).is_err() {
                return Err(Error::NoSuchImage(typed.clone()));
            }
        }
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        images::archive::save(&store, &refs, &mut *out)?;
        out.flush().map_err(Error::io("write", "the image archive"))
    }

    /// Reads an archive made by `save` (ours or Docker's) into the store and tags its images;
    /// returns the references loaded, in Docker's short form (`busybox:latest`). Garbage
    /// collection waits while the blobs are written.
    pub fn load(&self, archive: &mut dyn Read) -> Result<Vec<String>> {
        let store = self.paths.store()?;
        let _writing = super::gc::lock_for_writing(&self.paths)?;
        let loaded = images::archive::load(&store, archive)?;
        Ok(loaded
            .into_iter()
            .map(|(reference, _)| image_refs::familiar(&reference))
            .collect())
    }
}
