//! The state of a stage between steps: an image config (kept as JSON so fields we do not
//! model survive), its layers, and the manifest it was stored as. Every step ends by storing a
//! new snapshot — config blob, then manifest, both content-addressed in lesson 04's store and
//! untagged — which is what the cache points at, like Docker's intermediate images.

use crate::model::clock;
use crate::{Error, Result};
use flate2::write::GzEncoder;
use images::digest::{Digest, HashingWriter};
use images::store::MAX_DOCUMENT;
use images::{Image, Store, media};
use serde_json::{Map, Value, json};
use std::path::Path;

/// An image being built: config, layer descriptors and (once stored) its manifest digest.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The whole image config (`config`, `rootfs.diff_ids`, `history`, …).
    pub config: Value,
    /// The manifest's layer descriptors, bottom first.
    pub layers: Vec<Value>,
    /// The stored manifest; `None` only for `scratch` before any step.
    pub digest: Option<Digest>,
    /// The stored config: the image id Docker shows (`None` until stored).
    pub config_digest: Option<Digest>,
}

/// A layer blob just written to the store.
#[derive(Debug, Clone)]
pub struct NewLayer {
    /// Digest of the gzip blob.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Digest of the uncompressed tar (the config's diff ID).
    pub diff_id: Digest,
}

impl Snapshot {
    /// `FROM scratch`: no layers, and a config for this machine's platform with the default
    /// `PATH` (both of Docker's builders give a scratch stage that one) and `WorkingDir` `/`
    /// (BuildKit's; the legacy builder leaves it empty, which means the same).
    pub fn scratch() -> Snapshot {
        Snapshot {
            config: json!({
                "architecture": "amd64",
                "os": "linux",
                "config": { "Env": [images::import::DEFAULT_PATH], "WorkingDir": "/" },
                "rootfs": { "type": "layers", "diff_ids": [] },
                "history": [],
            }),
            layers: Vec::new(),
            digest: None,
            config_digest: None,
        }
    }

    /// The snapshot of a stored image.
    pub fn of(store: &Store, image: &Image) -> Result<Snapshot> {
        let bytes = store.read_blob(&image.config_digest, MAX_DOCUMENT)?;
        let config: Value = serde_json::from_slice(&bytes).map_err(|e| crate::Error::Corrupt {
            path: store.blob_path(&image.config_digest),
            why: e.to_string(),
        })?;
        let layers = image
            .layers
            .iter()
            .map(|l| json!({ "mediaType": l.media_type, "digest": l.digest.to_string(), "size": l.size }))
            .collect();
        Ok(Snapshot {
            config,
            layers,
            digest: Some(image.digest.clone()),
            config_digest: Some(image.config_digest.clone()),
        })
    }

    /// The stored image, if this snapshot has been stored.
    pub fn image(&self, store: &Store) -> Result<Option<Image>> {
        Ok(match &self.digest {
            Some(d) => Some(store.image_by_digest(d)?),
            None => None,
        })
    }

    /// The process settings (`config.config`: Env, Cmd, WorkingDir, …), created if missing.
    pub fn process(&mut self) -> &mut Map<String, Value> {
        if !self.config["config"].is_object() {
            self.config["config"] = json!({});
        }
        self.config["config"].as_object_mut().expect("object")
    }

    /// A string field of the process settings (`User`, `WorkingDir`), empty if unset.
    pub fn field(&self, name: &str) -> String {
        self.config["config"][name]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// A list field of the process settings (`Env`, `Cmd`, `Shell`, `OnBuild`).
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.config["config"][name].as_array() {
            Some(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Adds a history entry and maybe a layer, and stores the result as a new manifest.
    pub fn commit(
        &self,
        store: &Store,
        layer: Option<NewLayer>,
        created_by: &str,
    ) -> Result<Snapshot> {
        let mut next = self.clone();
        let now = clock::now();
        next.config["created"] = json!(now);
        let mut entry = json!({ "created": now, "created_by": created_by });
        match layer {
            Some(layer) => {
                push(
                    &mut next.config["rootfs"]["diff_ids"],
                    json!(layer.diff_id.to_string()),
                );
                next.layers.push(json!({
                    "mediaType": media::OCI_LAYER_GZIP,
                    "digest": layer.digest.to_string(),
                    "size": layer.size,
                }));
            }
            None => entry["empty_layer"] = json!(true),
        }
        push(&mut next.config["history"], entry);
        next.store(store)?;
        Ok(next)
    }

    /// Writes config and manifest (layers are already stored) and records the digest.
    pub fn store(&mut self, store: &Store) -> Result<()> {
        let config_bytes = serde_json::to_vec(&self.config).expect("json");
        let config_digest = store.put_blob(&config_bytes)?;
        self.config_digest = Some(config_digest.clone());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": {
                "mediaType": media::OCI_CONFIG,
                "digest": config_digest.to_string(),
                "size": config_bytes.len(),
            },
            "layers": self.layers,
        });
        let bytes = serde_json::to_vec(&manifest).expect("json");
        self.digest = Some(store.put_manifest(&bytes, Some(media::OCI_MANIFEST))?);
        Ok(())
    }
}

/// Writes `dir` (an overlay upper dir, or a plain directory of new files) as a gzip layer
/// blob: lesson 03 makes the tar (whiteouts in OCI form), we hash it (diff ID) and compress it.
pub fn write_layer(store: &Store, dir: &Path) -> Result<NewLayer> {
    let mut tar = HashingWriter::new(GzEncoder::new(
        store.blob_writer()?,
        flate2::Compression::fast(),
    ));
    overlay::layer::write_layer(dir, &mut tar)?;
    let (diff_id, _) = tar.digest();
    let blob = tar
        .into_inner()
        .finish()
        .map_err(Error::io("compress layer of", dir))?;
    let (digest, size) = blob.commit_computed()?;
    Ok(NewLayer {
        digest,
        size,
        diff_id,
    })
}

fn push(list: &mut Value, item: Value) {
    match list.as_array_mut() {
        Some(items) => items.push(item),
        None => *list = json!([item]),
    }
}
