//! `docker save` / `docker load`: images as one tar file, for moving them without a registry.
//!
//! ```text
//! manifest.json            [{"Config": "<id>.json", "RepoTags": ["repo:tag"], "Layers": ["<diff>/layer.tar", …]}]
//! repositories             {"repo": {"tag": "<top layer id>"}}   (read by old Docker versions)
//! <config hex>.json        the image config, byte for byte (so the image ID survives)
//! <diff id hex>/layer.tar  each layer, *uncompressed*
//! ```
//! Loading treats the archive as untrusted: it is unpacked with the same safe extractor as a
//! layer, into a temporary directory, and every layer is checked against the config's diff IDs.
//! An archive that is an OCI layout (Docker 25+ writes both) is loaded as one.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use serde_json::{Value, json};

use crate::Error;
use crate::apply::{ApplyOptions, WhiteoutMode, apply_layer};
use crate::digest::{Digest, HashingReader};
use crate::image::Image;
use crate::layer::{decompress, stream_error};
use crate::media;
use crate::safe_path::{EntryPath, open_file_in_root};
use crate::store::{MAX_DOCUMENT, Store};

/// Writes the images `references` from `store` to `out` in `docker save` format.
pub fn save(store: &Store, references: &[&str], out: impl Write) -> Result<(), Error> {
    let mut tar = tar::Builder::new(out);
    let mut manifest = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut written = std::collections::HashSet::new();
    for reference in references {
        let image = store.image(reference)?;
        let config = store.read_blob(&image.config_digest, MAX_DOCUMENT)?;
        let config_name = format!("{}.json", image.config_digest.hex());
        append(&mut tar, &config_name, &config)?;
        let mut layer_names = Vec::new();
        for layer in &image.layers {
            let name = format!("{}/layer.tar", layer.diff_id.hex());
            if written.insert(name.clone()) {
                append_layer(store, &mut tar, layer, &name)?;
            }
            layer_names.push(name);
        }
        manifest
            .push(json!({ "Config": config_name, "RepoTags": [reference], "Layers": layer_names }));
        if let (Some((repo, tag)), Some(top)) = (split_tag(reference), image.layers.last()) {
            repositories
                .entry(repo.to_string())
                .or_default()
                .insert(tag.to_string(), top.diff_id.hex().to_string());
        }
    }
    append(
        &mut tar,
        "manifest.json",
        &serde_json::to_vec(&manifest).expect("json"),
    )?;
    append(
        &mut tar,
        "repositories",
        &serde_json::to_vec(&repositories).expect("json"),
    )?;
    tar.into_inner()
        .and_then(|mut w| w.flush())
        .map_err(|e| Error::io("write", "archive", e))
}

/// `repo:tag` → (`repo`, `tag`); the colon must come after the last `/` (a registry port is not a tag).
fn split_tag(reference: &str) -> Option<(&str, &str)> {
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    let colon = reference[slash..].rfind(':')? + slash;
    Some((&reference[..colon], &reference[colon + 1..]))
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let mut h = tar::Header::new_ustar();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut h, name, bytes)
        .map_err(|e| Error::io("write archive entry", name, e))
}

/// Appends a layer decompressed (a tar header needs the size first, so via a temporary file).
fn append_layer<W: Write>(
    store: &Store,
    tar: &mut tar::Builder<W>,
    layer: &crate::LayerInfo,
    name: &str,
) -> Result<(), Error> {
    let mut tmp = tempfile::tempfile_in(store.root().join("tmp"))
        .map_err(|e| Error::io("create temporary file in", store.root(), e))?;
    let mut blob = store.open_blob(&layer.digest)?;
    let (diff_id, size) = {
        let mut plain = HashingReader::new(decompress(&mut blob, layer.compression)?);
        io::copy(&mut plain, &mut tmp).map_err(|e| stream_error(e, name))?;
        plain.finish().map_err(|e| stream_error(e, name))?
    };
    blob.finish().map_err(|e| stream_error(e, name))?;
    if diff_id != layer.diff_id {
        return Err(Error::bad(
            format!("layer {}", layer.digest),
            "does not match its diff ID",
        ));
    }
    use std::io::Seek;
    tmp.rewind().map_err(|e| Error::io("rewind", name, e))?;
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut h, name, tmp)
        .map_err(|e| Error::io("write archive entry", name, e))
}

/// Loads every image of a `docker save` archive (or an OCI layout tar) into `store`, tagging
/// each with its `RepoTags`. Returns the loaded images with their tags.
pub fn load(store: &Store, archive: impl Read) -> Result<Vec<(String, Image)>, Error> {
    // Unpack the untrusted archive with the safe extractor; no owners, no devices.
    let dir = tempfile::Builder::new()
        .prefix(".load-")
        .tempdir_in(store.root().join("tmp"))
        .map_err(|e| Error::io("create temporary directory in", store.root(), e))?;
    let opts = ApplyOptions {
        whiteouts: WhiteoutMode::Apply,
        devices: false,
        owners: false,
        ..ApplyOptions::default()
    };
    apply_layer(dir.path(), archive, &opts)?;
    let root = dir.path();
    if !root.join("manifest.json").exists() && root.join("oci-layout").exists() {
        let mut out = Vec::new();
        for e in crate::layout::read_index(root)? {
            if let Some(name) = e.ref_name {
                out.push((
                    name.clone(),
                    crate::layout::load(store, root, Some(&name), &name)?,
                ));
            }
        }
        return Ok(out);
    }
    let mut bytes = Vec::new();
    open_file_in_root(root, &EntryPath::parse(Path::new("manifest.json"))?)?
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", "manifest.json in the archive", e))?;
    let manifest: Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::bad("manifest.json", e.to_string()))?;
    let items = manifest
        .as_array()
        .ok_or_else(|| Error::bad("manifest.json", "is not a list"))?;
    let mut loaded = Vec::new();
    for item in items {
        let image = load_one(store, root, item)?;
        for tag in item["RepoTags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            store.tag(tag, &image.digest)?;
            loaded.push((tag.to_string(), image.clone()));
        }
    }
    Ok(loaded)
}

fn load_one(store: &Store, root: &Path, item: &Value) -> Result<Image, Error> {
    // The archive names its files; open them *inside* our extracted copy (a `layer.tar` that is
    // a symlink to /etc/shadow must not turn a host file into a layer).
    let open = |v: &Value| -> Result<File, Error> {
        let s = v
            .as_str()
            .ok_or_else(|| Error::bad("manifest.json", "a file name is not a string"))?;
        open_file_in_root(root, &EntryPath::parse(Path::new(s))?)
    };
    let mut config = Vec::new();
    open(&item["Config"])?
        .read_to_end(&mut config)
        .map_err(|e| Error::io("read", "config in the archive", e))?;
    let parsed = media::parse_config(&config, "config in the archive")?;
    let layer_files = item["Layers"]
        .as_array()
        .ok_or_else(|| Error::bad("manifest.json", "Layers is not a list"))?;
    if layer_files.len() != parsed.rootfs().diff_ids().len() {
        return Err(Error::bad(
            "manifest.json",
            "lists a different number of layers than the config",
        ));
    }
    let mut layers = Vec::new();
    for (file, expected) in layer_files.iter().zip(parsed.rootfs().diff_ids()) {
        let path = Path::new(file.as_str().unwrap_or("?"));
        let expected: Digest = expected.parse()?;
        let mut f = BufReader::new(open(file)?);
        let gzip = f
            .fill_buf()
            .map_err(|e| Error::io("read", path, e))?
            .starts_with(&[0x1f, 0x8b]);
        let plain: Box<dyn Read> = if gzip {
            Box::new(MultiGzDecoder::new(f))
        } else {
            Box::new(f)
        };
        let (diff_id, _) = HashingReader::new(plain)
            .finish()
            .map_err(|e| stream_error(e, "layer in the archive"))?;
        if diff_id != expected {
            return Err(Error::bad(
                format!("layer {}", path.display()),
                format!("hashes to {diff_id}, but the config says {expected}"),
            ));
        }
        let mut w = store.blob_writer()?;
        io::copy(&mut open(file)?, &mut w).map_err(|e| Error::io("copy", path, e))?;
        let (digest, size) = w.commit_computed()?;
        let media_type = if gzip {
            media::OCI_LAYER_GZIP
        } else {
            media::OCI_LAYER_TAR
        };
        layers.push(json!({ "mediaType": media_type, "digest": digest, "size": size }));
    }
    let config_digest = store.put_blob(&config)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": { "mediaType": media::OCI_CONFIG, "digest": config_digest, "size": config.len() },
        "layers": layers,
    });
    let digest = store.put_manifest(
        &serde_json::to_vec(&manifest).expect("json"),
        Some(media::OCI_MANIFEST),
    )?;
    store.image_by_digest(&digest)
}
