//! The server's storage: blobs in lesson 04's store, names and tags beside it.
//!
//! ```text
//! <root>/blobs/sha256/<hex>                               every blob and manifest (lesson 04)
//! <root>/repositories/<name>/_manifests/types/<hex>       "this repo has manifest <hex>", its media type
//! <root>/repositories/<name>/_manifests/tags/<tag>        the manifest digest a tag points at
//! ```
//! Blobs are shared by all repositories (content is content), so a cross-repository mount is
//! just "do we have it?". Every small file is replaced atomically (write, fsync, rename).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use images::digest::Digest;
use images::store::{BlobWriter, Store, write_atomic};

use crate::error::Error;
use crate::manifest::{Manifest, parse, sha256_digest};
use crate::reference::validate_tag;

/// Blob store plus per-repository manifests, tags and upload sessions.
pub struct Repos {
    /// The content-addressed store (lesson 04).
    pub store: Store,
    root: PathBuf,
    uploads: Mutex<HashMap<String, BlobWriter>>,
}

/// Why a manifest PUT was refused (maps to the spec's error codes).
#[derive(Debug)]
pub enum PutError {
    /// `MANIFEST_INVALID`: not JSON of a known manifest type, or digest reference mismatch.
    Invalid(String),
    /// `MANIFEST_BLOB_UNKNOWN`: it names a blob or manifest we do not have.
    BlobUnknown(String),
    /// Storage failed.
    Store(Error),
}

impl Repos {
    /// Opens (creating) the storage under `root`.
    pub fn open(root: &std::path::Path) -> Result<Repos, Error> {
        let store = Store::open(root)?;
        Ok(Repos {
            store,
            root: root.to_path_buf(),
            uploads: Mutex::default(),
        })
    }

    fn manifests_dir(&self, name: &str) -> PathBuf {
        self.root.join("repositories").join(name).join("_manifests")
    }

    /// The digest a tag or digest reference names in `name`, and its media type.
    pub fn manifest(&self, name: &str, reference: &str) -> Option<(Digest, String, Vec<u8>)> {
        let digest: Digest = if reference.contains(':') {
            reference.parse().ok()?
        } else {
            let tag =
                std::fs::read_to_string(self.manifests_dir(name).join("tags").join(reference))
                    .ok()?;
            tag.trim().parse().ok()?
        };
        let types = self.manifests_dir(name).join("types").join(digest.hex());
        let media_type = std::fs::read_to_string(types).ok()?;
        let bytes = self
            .store
            .read_blob(&digest, images::store::MAX_DOCUMENT)
            .ok()?;
        Some((digest, media_type, bytes))
    }

    /// Stores a pushed manifest after checking everything it references is here.
    pub fn put_manifest(
        &self,
        name: &str,
        reference: &str,
        bytes: &[u8],
        content_type: Option<&str>,
    ) -> Result<Digest, PutError> {
        let digest = sha256_digest(bytes);
        // The reference names a file under `tags/`: a tag cannot hold `/` or start with `.`.
        if !reference.contains(':') && validate_tag(reference).is_err() {
            return Err(PutError::Invalid(format!(
                "{reference:?} is not a valid tag"
            )));
        }
        if reference.contains(':') && reference != digest {
            return Err(PutError::Invalid(format!(
                "body has digest {digest}, not {reference}"
            )));
        }
        let (media_type, manifest) = parse(bytes, content_type, "pushed manifest")
            .map_err(|e| PutError::Invalid(e.to_string()))?;
        let referenced: Vec<String> = match &manifest {
            Manifest::Image(m) => m
                .layers
                .iter()
                .chain([&m.config])
                .map(|d| d.digest.clone())
                .collect(),
            Manifest::Index(i) => i.manifests.iter().map(|d| d.digest.clone()).collect(),
        };
        for d in referenced {
            let present = d.parse::<Digest>().is_ok_and(|d| self.store.has_blob(&d));
            if !present {
                return Err(PutError::BlobUnknown(d));
            }
        }
        let stored = self
            .store
            .put_blob(bytes)
            .map_err(|e| PutError::Store(e.into()))?;
        let dir = self.manifests_dir(name);
        let write = |path: PathBuf, text: &str| -> Result<(), PutError> {
            std::fs::create_dir_all(path.parent().unwrap()).map_err(|source| {
                PutError::Store(Error::Io {
                    path: path.clone(),
                    source,
                })
            })?;
            write_atomic(&path, text.as_bytes()).map_err(|e| PutError::Store(e.into()))
        };
        write(dir.join("types").join(stored.hex()), &media_type)?;
        if !reference.contains(':') {
            write(dir.join("tags").join(reference), &stored.to_string())?;
        }
        Ok(stored)
    }

    /// Tags of `name`, sorted; `None` if the repository does not exist.
    pub fn tags(&self, name: &str) -> Option<Vec<String>> {
        let entries = std::fs::read_dir(self.manifests_dir(name).join("tags")).ok()?;
        let mut tags: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        tags.sort();
        Some(tags)
    }

    /// All repository names, sorted (for `/v2/_catalog`).
    pub fn catalog(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == "_manifests" {
                    out.push(prefix.trim_end_matches('/').to_string());
                } else if entry.path().is_dir() {
                    walk(&entry.path(), &format!("{prefix}{name}/"), out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root.join("repositories"), "", &mut out);
        out.sort();
        out
    }

    /// Starts an upload session; its id comes from the kernel's random UUID generator
    /// (`/proc/sys/kernel/random/uuid`, see random(4)).
    pub fn start_upload(&self) -> Result<String, Error> {
        let path = "/proc/sys/kernel/random/uuid";
        let id = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        let writer = self.store.blob_writer()?;
        self.uploads
            .lock()
            .unwrap()
            .insert(id.trim().to_string(), writer);
        Ok(id.trim().to_string())
    }

    /// Takes an upload session out of the table (put it back with [`Repos::return_upload`]).
    pub fn take_upload(&self, id: &str) -> Option<BlobWriter> {
        self.uploads.lock().unwrap().remove(id)
    }

    /// Puts a session back after a chunk was appended.
    pub fn return_upload(&self, id: &str, writer: BlobWriter) {
        self.uploads.lock().unwrap().insert(id.to_string(), writer);
    }
}
