//! Making an image by hand: layer by layer, then a config, a manifest and a tag.
//!
//! This is all `docker build`, `buildah commit` or `docker import` do on disk. Each layer is
//! gzip-compressed into a blob while two hashes are taken at once: the *digest* of the
//! compressed bytes (the blob's name) and the *diff ID* of the tar inside (the config's name
//! for it).

use std::io::{self, BufRead, BufReader, Read, Write};

use flate2::Compression as Level;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde_json::json;

use crate::Error;
use crate::digest::{Digest, HashingReader};
use crate::image::Image;
use crate::import::{ImportOptions, config_json};
use crate::layer::stream_error;
use crate::media;
use crate::store::Store;

/// An image being built on top of an optional base image.
pub struct ImageBuilder<'a> {
    store: &'a Store,
    diff_ids: Vec<Digest>,
    layers: Vec<serde_json::Value>,
}

impl<'a> ImageBuilder<'a> {
    /// Starts an empty image (no layers) in `store`.
    pub fn new(store: &'a Store) -> ImageBuilder<'a> {
        ImageBuilder {
            store,
            diff_ids: Vec::new(),
            layers: Vec::new(),
        }
    }

    /// Starts from the layers of `base` (like `FROM base` in a Dockerfile): the new image shares
    /// those blobs, and so their chain IDs and unpacked directories.
    pub fn from_image(store: &'a Store, base: &Image) -> ImageBuilder<'a> {
        let mut b = ImageBuilder::new(store);
        for l in &base.layers {
            b.diff_ids.push(l.diff_id.clone());
            b.layers
                .push(json!({ "mediaType": l.media_type, "digest": l.digest, "size": l.size }));
        }
        b
    }

    /// Adds a layer from a tar stream (plain or gzip), checking that it parses as tar.
    /// Returns the new layer's (digest, diff ID).
    pub fn add_layer(&mut self, tar: impl Read) -> Result<(Digest, Digest), Error> {
        let mut input = BufReader::new(tar);
        let head = input
            .fill_buf()
            .map_err(|e| Error::io("read", "layer", e))?;
        let plain: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(MultiGzDecoder::new(input))
        } else {
            Box::new(input)
        };
        // One pass: tar bytes → hash (diff ID) → gzip → blob writer (hashes the digest).
        let mut diff = HashingReader::new(plain);
        let mut gz = GzEncoder::new(self.store.blob_writer()?, Level::default());
        {
            let mut archive = tar::Archive::new(Tee {
                inner: &mut diff,
                out: &mut gz,
            });
            for entry in archive.entries().map_err(|e| stream_error(e, "layer"))? {
                let mut entry = entry.map_err(|e| stream_error(e, "layer"))?;
                io::copy(&mut entry, &mut io::sink()).map_err(|e| stream_error(e, "layer"))?;
            }
            io::copy(&mut archive.into_inner(), &mut io::sink())
                .map_err(|e| stream_error(e, "layer"))?;
        }
        let (diff_id, _) = diff.finish().map_err(|e| stream_error(e, "layer"))?;
        let writer = gz
            .finish()
            .map_err(|e| Error::io("compress layer in", self.store.root(), e))?;
        let (digest, size) = writer.commit_computed()?;
        self.diff_ids.push(diff_id.clone());
        self.layers
            .push(json!({ "mediaType": media::OCI_LAYER_GZIP, "digest": digest, "size": size }));
        Ok((digest, diff_id))
    }

    /// Writes the config and manifest, tags the image `reference` and returns it.
    pub fn commit(self, reference: &str, opts: &ImportOptions) -> Result<Image, Error> {
        let config =
            serde_json::to_vec(&config_json(&self.diff_ids, opts)).expect("json serialises");
        let config_digest = self.store.put_blob(&config)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "config": { "mediaType": media::OCI_CONFIG, "digest": config_digest, "size": config.len() },
            "layers": self.layers,
        });
        let bytes = serde_json::to_vec(&manifest).expect("json serialises");
        let digest = self.store.put_manifest(&bytes, Some(media::OCI_MANIFEST))?;
        self.store.tag(reference, &digest)?;
        self.store.image_by_digest(&digest)
    }
}

/// Copies everything read from `inner` into `out` as well.
struct Tee<'a, R, W> {
    inner: &'a mut R,
    out: &'a mut W,
}

impl<R: Read, W: Write> Read for Tee<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}
