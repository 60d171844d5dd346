//! The bundle file: an OCI image layout (image-spec `image-layout.md`) in one tar, so other
//! tools read it too (`skopeo inspect oci-archive:FILE:docker.io/library/busybox:latest`):
//!
//! ```text
//! oci-layout              {"imageLayoutVersion": "1.0.0"}
//! index.json              one descriptor per image, its full name in
//!                         the `org.opencontainers.image.ref.name` annotation
//! blobs/sha256/<hex>      manifests, configs and layers, named by their sha256
//! ```
//!
//! Reading treats the file as untrusted: no entry name ever becomes a path on disk. A blob
//! goes through lesson 04's `BlobWriter`, which keeps it only if its sha256 is the name it
//! came under; `index.json` is read with a size limit; anything else is skipped.

use anyhow::Context;
use images::digest::Digest;
use images::store::{MAX_DOCUMENT, Store};
use serde_json::{Value, json};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path};

/// The annotation an OCI layout names its images with.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// One image in a bundle: its full name and its manifest's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `docker.io/library/busybox:latest`.
    pub name: String,
    /// The image manifest's digest.
    pub manifest: Digest,
}

/// The `mediaType` a manifest says it has (OCI allows leaving it out: then it is OCI's).
fn media_type(manifest: &[u8]) -> String {
    serde_json::from_slice::<Value>(manifest)
        .ok()
        .and_then(|v| v["mediaType"].as_str().map(str::to_string))
        .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into())
}

fn append(tar: &mut tar::Builder<impl Write>, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)?;
    Ok(())
}

/// Writes every tagged image of `store` (and every blob) to `file`, atomically: a temporary
/// file beside it, renamed into place (rename(2)) only once complete.
pub fn write(store: &Store, file: &Path) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut manifests = Vec::new();
    for (name, digest) in store.tags()? {
        let bytes = store.read_blob(&digest, MAX_DOCUMENT)?;
        manifests.push(json!({
            "mediaType": media_type(&bytes),
            "digest": digest.to_string(),
            "size": bytes.len(),
            "annotations": { REF_NAME: name },
        }));
        entries.push(Entry {
            name,
            manifest: digest,
        });
    }
    let tmp = file.with_extension("partial");
    let out = File::create(&tmp).with_context(|| format!("create {}", tmp.display()))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(out));
    append(&mut tar, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let index = json!({ "schemaVersion": 2, "manifests": manifests });
    append(&mut tar, "index.json", &serde_json::to_vec_pretty(&index)?)?;
    let blobs = store.root().join("blobs/sha256");
    for blob in std::fs::read_dir(&blobs).with_context(|| format!("list {}", blobs.display()))? {
        let blob = blob?;
        let name = format!("blobs/sha256/{}", blob.file_name().to_string_lossy());
        tar.append_path_with_name(blob.path(), &name)?;
    }
    tar.into_inner()?.flush()?;
    std::fs::rename(&tmp, file).with_context(|| format!("rename into {}", file.display()))?;
    Ok(entries)
}

/// An entry name's plain parts (`./blobs/sha256/x` → `blobs`, `sha256`, `x`); `None` for
/// anything with `..` or an absolute path, which a bundle never has.
fn parts(path: &Path) -> Option<Vec<String>> {
    path.components()
        .filter(|c| *c != Component::CurDir)
        .map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// Reads a bundle into `store`: verified blobs, then a tag per image. Returns the images.
pub fn read(file: &Path, store: &Store) -> anyhow::Result<Vec<Entry>> {
    let opened = File::open(file).with_context(|| format!("open the bundle {}", file.display()))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(opened));
    let mut index: Option<Value> = None;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        match parts(&path).as_deref() {
            Some([blobs, algo, hex]) if blobs == "blobs" && algo == "sha256" => {
                let expected = Digest::from_hex(hex)
                    .with_context(|| format!("{}: not a sha256 blob name", path.display()))?;
                let mut writer = store.blob_writer()?;
                std::io::copy(&mut entry, &mut writer)?;
                writer
                    .commit(&expected, None)
                    .with_context(|| format!("{} in the bundle", path.display()))?;
            }
            Some([name]) if name == "index.json" => {
                let mut bytes = Vec::new();
                entry.by_ref().take(MAX_DOCUMENT).read_to_end(&mut bytes)?;
                index = Some(serde_json::from_slice(&bytes).context("index.json of the bundle")?);
            }
            _ => {}
        }
    }
    let index = index
        .context("the bundle has no index.json: is it a file `cargo kit bundle create` wrote?")?;
    let mut entries = Vec::new();
    for descriptor in index["manifests"].as_array().into_iter().flatten() {
        let (Some(name), Some(digest)) = (
            descriptor["annotations"][REF_NAME].as_str(),
            descriptor["digest"].as_str(),
        ) else {
            continue;
        };
        let manifest: Digest = digest
            .parse()
            .map_err(|e| anyhow::anyhow!("index.json names {digest:?}: {e}"))?;
        store
            .tag(name, &manifest)
            .with_context(|| format!("{name} in index.json"))?;
        entries.push(Entry {
            name: name.to_string(),
            manifest,
        });
    }
    Ok(entries)
}
