//! Garbage collection of the image store: what `rmi` and `system prune` free.
//!
//! Untagging removes a *name*; the data (manifest, config and layer blobs, unpacked layer
//! directories) may be shared with other images, so it is deleted only when nothing reaches it
//! any more — mark and sweep, with lesson 04's [`images::Store::reachable`] as the mark phase.
//! The roots are every tag **and every container's image**: a container made from an image
//! that was later untagged (`rmi -f`) still needs its layers as overlay lower directories.
//!
//! A pull (or build, import, load, commit) writes blobs *before* the tag that makes them
//! reachable. Rather than a grace period, writers hold a shared flock(2) on
//! `<runroot>/locks/images.lock` and a collection holds it exclusively, so a sweep never sees
//! a half-finished write; the kernel drops the lock of a killed command.

use crate::model::container::Container;
use crate::{Error, Result, store};
use images::digest::Digest;
use images::gc::GcReport;
use images::{Image, Store};
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

/// A shared or exclusive flock(2) on the image store, released when dropped.
pub type ImagesLock = Flock<File>;

fn lock_path(paths: &store::Paths) -> PathBuf {
    paths.runroot.join("locks/images.lock")
}

/// Takes the store's lock shared (flock(2) `LOCK_SH`): many writers at once, no collection.
pub fn lock_for_writing(paths: &store::Paths) -> Result<ImagesLock> {
    lock(paths, FlockArg::LockShared)
}

/// Takes the store's lock exclusively (`LOCK_EX`), saying so first if a pull or build holds
/// it (`LOCK_NB` fails with EWOULDBLOCK), so a waiting `rmi` does not look hung.
pub fn lock_for_collecting(paths: &store::Paths) -> Result<ImagesLock> {
    match lock(paths, FlockArg::LockExclusiveNonblock) {
        Err(Error::Sys {
            errno: nix::errno::Errno::EWOULDBLOCK,
            ..
        }) => {
            eprintln!("Waiting for a pull, build or import to finish before freeing space…");
            lock(paths, FlockArg::LockExclusive)
        }
        other => other,
    }
}

fn lock(paths: &store::Paths, how: FlockArg) -> Result<ImagesLock> {
    let path = lock_path(paths);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(Error::io("open lock file", &path))?;
    Flock::lock(file, how)
        .map_err(|(_, errno)| Error::sys(format!("flock({})", path.display()))(errno))
}

/// The manifests containers were made from: roots besides the tags.
fn container_roots(containers: &[Container]) -> Vec<Digest> {
    containers
        .iter()
        .filter_map(|c| c.image_manifest.parse().ok())
        .collect()
}

/// After `image` lost its last tag: deletes its manifest, config and layer blobs and its
/// unpacked layers, unless a tag or a container still reaches them. Returns the chain IDs of
/// the layers deleted (what `docker rmi` prints as `Deleted:` lines) and what was freed.
pub fn remove_image(
    paths: &store::Paths,
    store: &Store,
    image: &Image,
) -> Result<(Vec<Digest>, GcReport)> {
    let _lock = lock_for_collecting(paths)?;
    let keep = store.reachable(&container_roots(&crate::store::containers::list(paths)?))?;
    let mut report = GcReport::default();
    let mut deleted_layers = Vec::new();
    let candidates = [&image.digest, &image.config_digest]
        .into_iter()
        .chain(image.layers.iter().map(|l| &l.digest));
    for digest in candidates {
        if !keep.blobs.contains(digest.hex()) {
            report.bytes += remove_blob(store, digest)?;
            report.blobs += 1;
        }
    }
    for layer in image.layers.iter().rev() {
        if keep.chains.contains(layer.chain_id.hex()) {
            continue;
        }
        let dir = store.layer_dir(&layer.chain_id);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(Error::io("remove layer", &dir))?;
            report.layers += 1;
        }
        deleted_layers.push(layer.chain_id.clone());
    }
    Ok((deleted_layers, report))
}

/// Removes one blob file; its size, or 0 if it was not there.
fn remove_blob(store: &Store, digest: &Digest) -> Result<u64> {
    let path = store.blob_path(digest);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(size),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::io("remove blob", path)(e)),
    }
}

/// `system prune`'s sweep: every blob and unpacked layer that no tag and no container
/// reaches — untagged images, build-cache steps, what a killed pull left.
pub fn sweep(paths: &store::Paths) -> Result<GcReport> {
    let store = paths.store()?;
    let _lock = lock_for_collecting(paths)?;
    let roots = container_roots(&crate::store::containers::list(paths)?);
    // No grace period: writers hold the lock shared, so nothing half-written is in the store.
    Ok(store.gc_keeping(Duration::ZERO, &roots)?)
}
