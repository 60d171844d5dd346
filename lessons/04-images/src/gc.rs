//! Garbage collection: `docker rmi` + `docker image prune` on a content-addressed store.
//!
//! Untagging an image removes a *name*, not data: its blobs may be shared with other images.
//! Collection is mark-and-sweep: mark everything reachable from a tag (manifest → config and
//! layers → chain IDs of the unpacked layers), then delete what is not marked.
//!
//! A pull writes blobs *before* the tag that makes them reachable. So that a collection running
//! at the same time does not delete them, blobs and layer directories younger than a grace
//! period are kept (containerd solves the same problem with "leases").

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::Error;
use crate::digest::Digest;
use crate::store::Store;

/// What a collection removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    /// Blobs deleted.
    pub blobs: usize,
    /// Unpacked layer directories deleted.
    pub layers: usize,
    /// Bytes of blobs freed.
    pub bytes: u64,
}

/// The mark phase's result: what must stay.
#[derive(Debug, Default, Clone)]
pub struct Reachable {
    /// Hex digests of blobs (manifests, configs, layers) reachable from a root.
    pub blobs: HashSet<String>,
    /// Hex chain IDs of the unpacked layers those images use.
    pub chains: HashSet<String>,
}

impl Store {
    /// Marks everything reachable from a tag, or from one of `extra_roots` (manifest digests
    /// an engine still needs untagged, e.g. the image of a container). A root whose manifest
    /// is gone marks nothing.
    pub fn reachable(&self, extra_roots: &[Digest]) -> Result<Reachable, Error> {
        let mut marked = Reachable::default();
        let tagged: Vec<Digest> = self.tags()?.into_values().collect();
        for (digest, from_tag) in tagged
            .iter()
            .map(|d| (d, true))
            .chain(extra_roots.iter().map(|d| (d, false)))
        {
            let image = match self.image_by_digest(digest) {
                Ok(image) => image,
                Err(_) if !from_tag => continue,
                Err(e) => return Err(e),
            };
            marked.blobs.insert(image.digest.hex().to_string());
            marked.blobs.insert(image.config_digest.hex().to_string());
            for l in &image.layers {
                marked.blobs.insert(l.digest.hex().to_string());
                marked.chains.insert(l.chain_id.hex().to_string());
            }
        }
        Ok(marked)
    }

    /// Deletes every blob and unpacked layer no tag reaches, except those modified less than
    /// `grace` ago (an unfinished pull's). Unpacked layers may be in use as overlay lowers of a
    /// running container: callers (the engine) must only collect layers no container uses.
    pub fn gc(&self, grace: Duration) -> Result<GcReport, Error> {
        self.gc_keeping(grace, &[])
    }

    /// [`Store::gc`] that also keeps what `extra_roots` reach (see [`Store::reachable`]).
    pub fn gc_keeping(&self, grace: Duration, extra_roots: &[Digest]) -> Result<GcReport, Error> {
        let Reachable { blobs, chains } = self.reachable(extra_roots)?;
        let mut report = GcReport::default();
        let blob_dir = self.root().join("blobs/sha256");
        for (name, path, len) in old_entries(&blob_dir, grace)? {
            if !blobs.contains(&name) && Digest::from_hex(&name).is_ok() {
                fs::remove_file(&path).map_err(|e| Error::io("remove blob", &path, e))?;
                report.blobs += 1;
                report.bytes += len;
            }
        }
        for (name, path, _) in old_entries(&self.layers_dir(), grace)? {
            if !chains.contains(&name) && Digest::from_hex(&name).is_ok() {
                fs::remove_dir_all(&path).map_err(|e| Error::io("remove layer", &path, e))?;
                report.layers += 1;
            }
        }
        Ok(report)
    }
}

/// (name, path, size) of the entries of `dir` last modified at least `grace` ago.
fn old_entries(
    dir: &Path,
    grace: Duration,
) -> Result<Vec<(String, std::path::PathBuf, u64)>, Error> {
    let now = SystemTime::now();
    let mut out = Vec::new();
    for e in fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))? {
        let e = e.map_err(|e| Error::io("list", dir, e))?;
        let m = e
            .metadata()
            .map_err(|err| Error::io("stat", e.path(), err))?;
        let age = m
            .modified()
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or_default();
        if age >= grace {
            out.push((
                e.file_name().to_string_lossy().into_owned(),
                e.path(),
                m.len(),
            ));
        }
    }
    Ok(out)
}
