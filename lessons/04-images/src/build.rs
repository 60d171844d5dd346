//! Making an image by hand: layer by layer, then a config, a manifest and (maybe) a tag.
//!
//! This is all `docker build`, `docker commit`, `buildah commit` or `docker import` do on disk.
//! Each layer is gzip-compressed into a blob while two hashes are taken at once: the *digest*
//! of the compressed bytes (the blob's name) and the *diff ID* of the tar inside (the config's
//! name for it). Whether the tar comes from a stream ([`ImageBuilder::add_layer`]) or from a
//! directory such as an overlay's upper dir ([`write_dir_layer`], lesson 03's layer writer),
//! it goes through the same one path: tar → sha256 → gzip → blob.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::Error;
use crate::config_doc::ConfigDoc;
use crate::digest::{Digest, HashingWriter};
use crate::image::Image;
use crate::import::ImportOptions;
use crate::layer::stream_error;
use crate::media;
use crate::runconfig::Settings;
use crate::store::Store;

/// How hard layers are compressed: gzip's fastest level. Layers are compressed once, when an
/// image is made, and building is what a user waits for; the blobs are a little larger.
const LAYER_COMPRESSION: Compression = Compression::fast();

/// A layer blob just written to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerBlob {
    /// Digest of the gzip blob (its name in the store and in the manifest).
    pub digest: Digest,
    /// Size of the gzip blob in bytes.
    pub size: u64,
    /// Digest of the uncompressed tar: the config's diff ID.
    pub diff_id: Digest,
}

/// Writes a layer blob whose tar `write_tar` produces: the one tar → sha256 (diff ID) → gzip
/// → blob writer (digest) path of this crate.
fn write_layer_blob(
    store: &Store,
    what: &Path,
    write_tar: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<LayerBlob, Error> {
    let mut tar = HashingWriter::new(GzEncoder::new(store.blob_writer()?, LAYER_COMPRESSION));
    write_tar(&mut tar)?;
    let (diff_id, _) = tar.digest();
    let blob = tar
        .into_inner()
        .finish()
        .map_err(|e| Error::io("compress layer of", what, e))?;
    let (digest, size) = blob.commit_computed()?;
    Ok(LayerBlob {
        digest,
        size,
        diff_id,
    })
}

/// Writes directory `dir` as a layer blob. `dir` may be an overlay's upper dir: lesson 03's
/// layer writer turns its whiteouts into the OCI `.wh.` form.
pub fn write_dir_layer(store: &Store, dir: &Path) -> Result<LayerBlob, Error> {
    write_layer_blob(store, dir, |out| {
        overlay::layer::write_layer(dir, out)?;
        Ok(())
    })
}

/// Writes a tar stream (plain or gzip) as a layer blob, checking that it parses as tar.
pub fn write_tar_layer(store: &Store, tar: impl Read) -> Result<LayerBlob, Error> {
    let mut input = BufReader::new(tar);
    let head = input
        .fill_buf()
        .map_err(|e| Error::io("read", "layer", e))?;
    let plain: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    };
    write_layer_blob(store, Path::new("layer"), |out| {
        // Read it as tar while copying every byte read into `out`.
        let mut archive = tar::Archive::new(Tee { inner: plain, out });
        for entry in archive.entries().map_err(|e| stream_error(e, "layer"))? {
            let mut entry = entry.map_err(|e| stream_error(e, "layer"))?;
            io::copy(&mut entry, &mut io::sink()).map_err(|e| stream_error(e, "layer"))?;
        }
        io::copy(&mut archive.into_inner(), &mut io::sink())
            .map_err(|e| stream_error(e, "layer"))?;
        Ok(())
    })
}

/// An image being built, on top of a base image or from nothing: its config document and its
/// layers. Cheap to clone (a build step can try a change on a copy).
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    store: Store,
    config: ConfigDoc,
    layers: Vec<Value>,
}

impl ImageBuilder {
    /// Starts an empty image (no layers, no settings) in `store`: `FROM scratch`.
    pub fn new(store: &Store) -> ImageBuilder {
        ImageBuilder {
            store: store.clone(),
            config: ConfigDoc::scratch(),
            layers: Vec::new(),
        }
    }

    /// Starts from `base` (like `FROM base` in a Dockerfile): its config, every field of it,
    /// and its layers — the new image shares those blobs, and so their chain IDs and unpacked
    /// directories.
    pub fn from_image(store: &Store, base: &Image) -> ImageBuilder {
        let layers = base
            .layers
            .iter()
            .map(|l| json!({ "mediaType": l.media_type, "digest": l.digest, "size": l.size }))
            .collect();
        ImageBuilder {
            store: store.clone(),
            config: ConfigDoc::from_json(base.config_json.clone()),
            layers,
        }
    }

    /// The config being built.
    pub fn config(&self) -> &ConfigDoc {
        &self.config
    }

    /// The config being built, to change its settings, history or author.
    pub fn config_mut(&mut self) -> &mut ConfigDoc {
        &mut self.config
    }

    /// Adds a layer from a tar stream (plain or gzip), checking that it parses as tar.
    /// Returns the new layer's (digest, diff ID).
    pub fn add_layer(&mut self, tar: impl Read) -> Result<(Digest, Digest), Error> {
        let blob = write_tar_layer(&self.store, tar)?;
        self.push_layer(&blob);
        Ok((blob.digest, blob.diff_id))
    }

    /// Adds directory `dir` as a layer ([`write_dir_layer`]).
    pub fn add_dir_layer(&mut self, dir: &Path) -> Result<LayerBlob, Error> {
        let blob = write_dir_layer(&self.store, dir)?;
        self.push_layer(&blob);
        Ok(blob)
    }

    /// Adds a layer blob already in the store, on top.
    pub fn push_layer(&mut self, blob: &LayerBlob) {
        self.config.push_diff_id(&blob.diff_id);
        self.layers.push(
            json!({ "mediaType": media::OCI_LAYER_GZIP, "digest": blob.digest, "size": blob.size }),
        );
    }

    /// Writes the config and the manifest (the layers are stored already) and returns the
    /// image, untagged: what a build's intermediate steps leave, and what a tag can name.
    pub fn store(&self) -> Result<Image, Error> {
        let config = self.config.to_bytes();
        let config_digest = self.store.put_blob(&config)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": { "mediaType": media::OCI_CONFIG, "digest": config_digest, "size": config.len() },
            "layers": self.layers,
        });
        let bytes = serde_json::to_vec(&manifest).expect("json serialises");
        let digest = self.store.put_manifest(&bytes, Some(media::OCI_MANIFEST))?;
        self.store.image_by_digest(&digest)
    }

    /// Sets the process settings from `opts`, records an `images::import` history entry,
    /// stores the image, tags it `reference` and returns it.
    pub fn commit(mut self, reference: &str, opts: &ImportOptions) -> Result<Image, Error> {
        self.config.set_settings(&Settings {
            entrypoint: opts.entrypoint.clone(),
            cmd: opts.cmd.clone(),
            env: crate::import::with_default_path(&opts.env),
            working_dir: opts.working_dir.clone(),
            user: opts.user.clone(),
        });
        self.config.add_history("images::import", false);
        let image = self.store()?;
        self.store.tag(reference, &image.digest)?;
        Ok(image)
    }
}

/// Copies everything read from `inner` into `out` as well.
struct Tee<'a, R> {
    inner: R,
    out: &'a mut dyn Write,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}
