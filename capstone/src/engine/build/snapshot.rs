//! The state of a stage between steps: lesson 04's `ImageBuilder` (the image config as the
//! JSON document it is, so fields we do not model survive, and the layers) and the manifest it
//! was stored as. Every step ends by storing a new snapshot — config blob, then manifest, both
//! content-addressed in lesson 04's store and untagged — which is what the cache points at,
//! like Docker's intermediate images. Layers are written by lesson 04's one tar → digest →
//! gzip path (`images::build::write_dir_layer`).

use crate::Result;
use crate::model::clock;
use images::config_doc::ConfigDoc;
use images::digest::Digest;
use images::{Image, ImageBuilder, LayerBlob, Store};

/// An image being built: config and layers, and (once stored) its manifest and config digests.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The config and layers so far.
    pub builder: ImageBuilder,
    /// The stored manifest; `None` only for `scratch` before any step.
    pub digest: Option<Digest>,
    /// The stored config: the image id Docker shows (`None` until stored).
    pub config_digest: Option<Digest>,
}

impl Snapshot {
    /// `FROM scratch`: no layers, and a config for this machine's platform with the default
    /// `PATH` (both of Docker's builders give a scratch stage that one) and `WorkingDir` `/`
    /// (BuildKit's; the legacy builder leaves it empty, which means the same).
    pub fn scratch(store: &Store) -> Snapshot {
        let mut builder = ImageBuilder::new(store);
        let config = builder.config_mut();
        config.set("Env", serde_json::json!([images::import::DEFAULT_PATH]));
        config.set("WorkingDir", serde_json::json!("/"));
        Snapshot {
            builder,
            digest: None,
            config_digest: None,
        }
    }

    /// The snapshot of a stored image.
    pub fn of(store: &Store, image: &Image) -> Snapshot {
        Snapshot {
            builder: ImageBuilder::from_image(store, image),
            digest: Some(image.digest.clone()),
            config_digest: Some(image.config_digest.clone()),
        }
    }

    /// The stored image, if this snapshot has been stored.
    pub fn image(&self, store: &Store) -> Result<Option<Image>> {
        Ok(match &self.digest {
            Some(d) => Some(store.image_by_digest(d)?),
            None => None,
        })
    }

    /// The config, to change (`Env`, `Cmd`, `WorkingDir`, labels, author …).
    pub fn config_mut(&mut self) -> &mut ConfigDoc {
        self.builder.config_mut()
    }

    /// A string field of the process settings (`User`, `WorkingDir`), empty if unset.
    pub fn field(&self, name: &str) -> String {
        self.builder.config().string(name)
    }

    /// A list field of the process settings (`Env`, `Cmd`, `Shell`, `OnBuild`).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.builder.config().strings(name)
    }

    /// Adds a history entry and maybe a layer, and stores the result as a new manifest.
    pub fn commit(&self, layer: Option<LayerBlob>, created_by: &str) -> Result<Snapshot> {
        let mut next = self.clone();
        if let Some(layer) = &layer {
            next.builder.push_layer(layer);
        }
        let config = next.config_mut();
        config.set_created(&clock::now());
        config.add_history(created_by, layer.is_none());
        next.store()?;
        Ok(next)
    }

    /// Writes config and manifest (layers are already stored) and records the digests.
    pub fn store(&mut self) -> Result<()> {
        let image = self.builder.store()?;
        self.digest = Some(image.digest);
        self.config_digest = Some(image.config_digest);
        Ok(())
    }
}
