//! The OCI image layout: an image as a plain directory (OCI image-spec `image-layout.md`).
//!
//! ```text
//! oci-layout          {"imageLayoutVersion": "1.0.0"}
//! index.json          an image index: one descriptor per image, its tag in the annotation
//!                     org.opencontainers.image.ref.name
//! blobs/sha256/<hex>  manifests, configs and layers, named by digest
//! ```
//! This is what `skopeo copy … oci:DIR:TAG` writes and `umoci` works on. Loading copies every
//! blob into our store *through a verifying writer*: the layout's file names are claims, the
//! hash is the proof.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::Error;
use crate::digest::Digest;
use crate::image::Image;
use crate::media::{self, Document};
use crate::store::{MAX_DOCUMENT, Store, write_atomic};

/// The annotation holding an image's tag inside `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// One image listed in a layout's `index.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutEntry {
    /// The tag (`org.opencontainers.image.ref.name`), if any.
    pub ref_name: Option<String>,
    /// The manifest's (or nested index's) media type.
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
}

/// Reads a layout's `oci-layout` and `index.json`.
pub fn read_index(dir: &Path) -> Result<Vec<LayoutEntry>, Error> {
    let marker = read_json(&dir.join("oci-layout"))?;
    if marker.get("imageLayoutVersion").and_then(Value::as_str) != Some("1.0.0") {
        return Err(Error::bad(
            dir.join("oci-layout").display().to_string(),
            "imageLayoutVersion is not \"1.0.0\"",
        ));
    }
    let index_path = dir.join("index.json");
    let bytes = fs::read(&index_path).map_err(|e| Error::io("read", &index_path, e))?;
    let what = index_path.display().to_string();
    let Document::Index(index, _) = media::parse_document(&bytes, None, &what)? else {
        return Err(Error::bad(what, "is a manifest, not an index"));
    };
    index
        .manifests()
        .iter()
        .map(|d| {
            Ok(LayoutEntry {
                ref_name: d
                    .annotations()
                    .as_ref()
                    .and_then(|a| a.get(REF_NAME))
                    .cloned(),
                media_type: d.media_type().to_string(),
                digest: Digest::from_oci(d.digest())?,
                size: d.size(),
            })
        })
        .collect()
}

/// Copies the image tagged `ref_name` in the layout at `dir` (or its only image, if `ref_name`
/// is `None`) into `store`, verifying every blob, and tags it `reference`.
pub fn load(
    store: &Store,
    dir: &Path,
    ref_name: Option<&str>,
    reference: &str,
) -> Result<Image, Error> {
    let entries = read_index(dir)?;
    let entry = match ref_name {
        Some(name) => entries.iter().find(|e| e.ref_name.as_deref() == Some(name)),
        None if entries.len() == 1 => entries.first(),
        None => None,
    }
    .ok_or_else(|| {
        Error::UnknownReference(format!(
            "{}:{}",
            dir.display(),
            ref_name.unwrap_or("<only image>")
        ))
    })?;
    let digest = load_manifest(store, dir, &entry.digest, entry.size, &entry.media_type)?;
    store.tag(reference, &digest)?;
    store.image_by_digest(&digest)
}

/// Copies a manifest and its blobs (or, for a nested index, the linux/amd64 manifest) into the
/// store and returns the manifest digest.
fn load_manifest(
    store: &Store,
    dir: &Path,
    digest: &Digest,
    size: u64,
    media_type: &str,
) -> Result<Digest, Error> {
    let bytes = read_layout_blob(dir, digest, size)?;
    match media::parse_document(&bytes, Some(media_type), &format!("manifest {digest}"))? {
        Document::Manifest(m, mt) => {
            for d in std::iter::once(m.config()).chain(m.layers()) {
                copy_blob_in(store, dir, &Digest::from_oci(d.digest())?, d.size())?;
            }
            store.put_manifest(&bytes, Some(&mt))
        }
        Document::Index(index, _) => {
            let d = index
                .manifests()
                .iter()
                .find(|d| {
                    d.platform().as_ref().is_none_or(|p| {
                        p.os().to_string() == "linux" && p.architecture().to_string() == "amd64"
                    })
                })
                .ok_or_else(|| Error::bad(format!("index {digest}"), "has no linux/amd64 image"))?;
            load_manifest(
                store,
                dir,
                &Digest::from_oci(d.digest())?,
                d.size(),
                d.media_type().as_ref(),
            )
        }
    }
}

fn layout_blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs/sha256").join(digest.hex())
}

fn read_layout_blob(dir: &Path, digest: &Digest, size: u64) -> Result<Vec<u8>, Error> {
    if size > MAX_DOCUMENT {
        return Err(Error::bad(
            format!("blob {digest}"),
            "is too large for a JSON document",
        ));
    }
    let path = layout_blob_path(dir, digest);
    let bytes = fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
    let actual = Digest::of(&bytes);
    if actual != *digest || bytes.len() as u64 != size {
        return Err(Error::DigestMismatch {
            expected: digest.clone(),
            expected_size: size.to_string(),
            actual,
            actual_size: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

fn copy_blob_in(store: &Store, dir: &Path, digest: &Digest, size: u64) -> Result<(), Error> {
    if store.has_blob(digest) {
        return Ok(());
    }
    let path = layout_blob_path(dir, digest);
    let mut f = File::open(&path).map_err(|e| Error::io("open", &path, e))?;
    let mut w = store.blob_writer()?;
    io::copy(&mut f, &mut w).map_err(|e| Error::io("copy", &path, e))?;
    w.commit(digest, Some(size))?;
    Ok(())
}

/// Writes the image `reference` from `store` into the OCI layout at `dir` under the tag
/// `ref_name` (creating the layout, or adding to an existing one and replacing that tag).
pub fn save(store: &Store, reference: &str, dir: &Path, ref_name: &str) -> Result<Image, Error> {
    let image = store.image(reference)?;
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).map_err(|e| Error::io("create", &blobs, e))?;
    write_atomic(
        &dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    let mut all = vec![image.digest.clone(), image.config_digest.clone()];
    all.extend(image.layers.iter().map(|l| l.digest.clone()));
    for d in &all {
        copy_blob_out(store, d, &layout_blob_path(dir, d))?;
    }
    let mut manifests: Vec<Value> = if dir.join("index.json").exists() {
        let idx = read_json(&dir.join("index.json"))?;
        idx["manifests"].as_array().cloned().unwrap_or_default()
    } else {
        Vec::new()
    };
    manifests.retain(|m| m["annotations"][REF_NAME].as_str() != Some(ref_name));
    let media_type = image
        .manifest
        .media_type()
        .as_ref()
        .map_or(media::OCI_MANIFEST.to_string(), |m| m.to_string());
    manifests.push(json!({
        "mediaType": media_type,
        "digest": image.digest,
        "size": store.blob_size(&image.digest)?,
        "annotations": { REF_NAME: ref_name },
    }));
    let index =
        json!({ "schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": manifests });
    write_atomic(
        &dir.join("index.json"),
        &serde_json::to_vec_pretty(&index).expect("json"),
    )?;
    Ok(image)
}

/// Copies a verified blob from the store to `dest` (atomically; skipped if already there).
pub(crate) fn copy_blob_out(store: &Store, digest: &Digest, dest: &Path) -> Result<(), Error> {
    if dest.is_file() {
        return Ok(());
    }
    let dir = dest.parent().expect("blob path has a parent");
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io("create temporary file in", dir, e))?;
    let mut r = store.open_blob(digest)?;
    io::copy(&mut r, &mut tmp).map_err(|e| crate::store::verify_error(digest, e))?;
    r.finish()
        .map_err(|e| crate::store::verify_error(digest, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("fsync", dest, e))?;
    tmp.persist(dest)
        .map_err(|e| Error::io("rename into place", dest, e.error))?;
    Ok(())
}

fn read_json(path: &Path) -> Result<Value, Error> {
    let bytes = fs::read(path).map_err(|e| Error::io("read", path, e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::bad(path.display().to_string(), e.to_string()))
}
