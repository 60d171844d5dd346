//! An image read from the store — manifest, config, layers with their three identities — and
//! unpacking it: each layer once into its own directory (for overlayfs), or all layers flattened
//! into one directory.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use oci_spec::image::{ImageConfiguration, ImageManifest};

use crate::Error;
use crate::apply::{ApplyOptions, ApplyReport, WhiteoutMode, apply_layer};
use crate::digest::Digest;
use crate::layer::{chain_ids, decompress, stream_error};
use crate::media::{self, Compression};
use crate::store::{MAX_DOCUMENT, Store, sync_dir};

/// One layer of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Digest of the blob as stored (compressed).
    pub digest: Digest,
    /// Size of the blob in bytes, from the manifest.
    pub size: u64,
    /// The blob's media type, from the manifest.
    pub media_type: String,
    /// How the blob is compressed (from the media type).
    pub compression: Compression,
    /// Digest of the uncompressed tar (from the config's `rootfs.diff_ids`).
    pub diff_id: Digest,
    /// Identity of the stack of layers up to and including this one.
    pub chain_id: Digest,
}

/// An image: its manifest, its config and its layers, bottom layer first.
#[derive(Debug, Clone)]
pub struct Image {
    /// Digest of the manifest: the image's identity (`docker images --digests`).
    pub digest: Digest,
    /// The parsed manifest.
    pub manifest: ImageManifest,
    /// Digest of the config blob: Docker's "IMAGE ID".
    pub config_digest: Digest,
    /// The parsed config (Env, Cmd, Entrypoint, WorkingDir, User, diff IDs, history).
    pub config: ImageConfiguration,
    /// The same config as the JSON document stored: every field, also those [`Image::config`]
    /// does not model (Docker's `Healthcheck`, `OnBuild`, `Shell`).
    pub config_json: serde_json::Value,
    /// The layers, bottom (base) first.
    pub layers: Vec<LayerInfo>,
}

impl Store {
    /// Loads the image a reference names (a tag, or a manifest digest), reading and verifying
    /// its manifest and config and checking that the layers and diff IDs line up.
    pub fn image(&self, reference: &str) -> Result<Image, Error> {
        let digest = self.resolve(reference)?;
        self.image_by_digest(&digest)
    }

    /// Loads an image by manifest digest.
    pub fn image_by_digest(&self, digest: &Digest) -> Result<Image, Error> {
        let manifest = self.manifest(digest)?;
        let config_digest = Digest::from_oci(manifest.config().digest())?;
        let config_bytes = self.read_blob(&config_digest, MAX_DOCUMENT)?;
        let config = media::parse_config(&config_bytes, &format!("config {config_digest}"))?;
        let config_json = serde_json::from_slice(&config_bytes)
            .map_err(|e| Error::bad(format!("config {config_digest}"), format!("not JSON: {e}")))?;
        let diff_ids = config
            .rootfs()
            .diff_ids()
            .iter()
            .map(|d| d.parse::<Digest>())
            .collect::<Result<Vec<_>, _>>()?;
        if diff_ids.len() != manifest.layers().len() {
            return Err(Error::bad(
                format!("image {digest}"),
                format!(
                    "the manifest lists {} layers but the config has {} diff IDs",
                    manifest.layers().len(),
                    diff_ids.len()
                ),
            ));
        }
        let chains = chain_ids(&diff_ids);
        let mut layers = Vec::new();
        for ((d, diff_id), chain_id) in manifest.layers().iter().zip(diff_ids).zip(chains) {
            let media_type = d.media_type().to_string();
            layers.push(LayerInfo {
                digest: Digest::from_oci(d.digest())?,
                size: d.size(),
                compression: media::layer_compression(&media_type)?,
                media_type,
                diff_id,
                chain_id,
            });
        }
        Ok(Image {
            digest: digest.clone(),
            manifest,
            config_digest,
            config,
            config_json,
            layers,
        })
    }

    /// Applies one layer blob onto `target`, verifying the blob's digest and size *and* the
    /// uncompressed tar's diff ID. On a mismatch the error says so; the target may then hold
    /// part of the layer, which is why [`Store::unpack`] extracts into a temporary directory.
    pub fn apply_blob(
        &self,
        layer: &LayerInfo,
        target: &Path,
        opts: &ApplyOptions,
    ) -> Result<ApplyReport, Error> {
        if self.blob_size(&layer.digest)? != layer.size {
            return Err(Error::bad(
                format!("layer {}", layer.digest),
                format!(
                    "the stored blob is not the {} bytes the manifest says",
                    layer.size
                ),
            ));
        }
        let mut blob = self.open_blob(&layer.digest)?;
        let what = format!("layer {}", layer.digest);
        let result = {
            let tar = decompress(&mut blob, layer.compression)?;
            apply_layer(target, tar, opts)
        };
        // Read the blob to its end either way: if the tar was unreadable *because* the blob
        // is not what its digest promises, that is the error worth reporting.
        let verified = blob.finish().map_err(|e| stream_error(e, &what));
        let report = match (result, verified) {
            (_, Err(mismatch)) => return Err(mismatch),
            (Err(e), Ok(())) => return Err(e),
            (Ok(r), Ok(())) => r,
        };
        if report.diff_id != layer.diff_id {
            return Err(Error::bad(
                format!("layer {}", layer.digest),
                format!(
                    "uncompressed it hashes to {}, but the config says {}",
                    report.diff_id, layer.diff_id
                ),
            ));
        }
        Ok(report)
    }

    /// The directory a layer is unpacked into: `<root>/layers/<chain ID hex>`.
    pub fn layer_dir(&self, chain_id: &Digest) -> PathBuf {
        self.layers_dir().join(chain_id.hex())
    }

    /// Unpacks every layer of `image` that is not unpacked yet into its own directory, with
    /// overlayfs whiteouts, and returns the layer directories **bottom layer first**.
    ///
    /// Note that overlayfs's `lowerdir=` option wants the *top* layer first: reverse this list
    /// for mount(2). Each directory is keyed by chain ID, so images sharing a base share its
    /// directories, and a layer is extracted once. Extraction goes to `<root>/tmp` and is
    /// renamed into place only when complete and verified.
    pub fn unpack(&self, image: &Image) -> Result<Vec<PathBuf>, Error> {
        self.unpack_with(image, &ApplyOptions::default())
    }

    /// [`Store::unpack`] with explicit options (size bound, devices, owners); the whiteout
    /// mode is always [`WhiteoutMode::Overlay`].
    pub fn unpack_with(&self, image: &Image, opts: &ApplyOptions) -> Result<Vec<PathBuf>, Error> {
        let opts = ApplyOptions {
            whiteouts: WhiteoutMode::Overlay,
            ..opts.clone()
        };
        let mut dirs: Vec<PathBuf> = Vec::new();
        for layer in &image.layers {
            let dir = self.layer_dir(&layer.chain_id);
            if !dir.is_dir() {
                let opts = ApplyOptions {
                    lower_dirs: dirs.iter().rev().cloned().collect(),
                    ..opts.clone()
                };
                self.unpack_one(layer, &dir, &opts)?;
            }
            dirs.push(dir);
        }
        Ok(dirs)
    }

    fn unpack_one(&self, layer: &LayerInfo, dir: &Path, opts: &ApplyOptions) -> Result<(), Error> {
        let tmp = fresh_dir_in(&self.tmp_dir())?;
        self.apply_blob(layer, tmp.path(), opts)?;
        // syncfs(2): flush every file we just wrote before the rename makes the layer visible,
        // or a crash could leave a visible layer full of empty files.
        let fd = fs::File::open(tmp.path()).map_err(|e| Error::io("open", tmp.path(), e))?;
        nix::unistd::syncfs(&fd).map_err(|e| Error::sys("syncfs", tmp.path(), e))?;
        let tmp = tmp.keep();
        match fs::rename(&tmp, dir) {
            Ok(()) => sync_dir(&self.layers_dir()),
            // Someone else unpacked the same chain ID meanwhile: theirs is as good as ours.
            Err(_) if dir.is_dir() => {
                let _ = fs::remove_dir_all(&tmp);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                Err(Error::io("rename unpacked layer to", dir, e))
            }
        }
    }

    /// Applies all layers of `image`, in order, into the new directory `dest` (which must not
    /// exist), deleting whited-out files: the image's root file system as one tree, as
    /// `umoci unpack` produces. Built beside `dest` and renamed into place when complete.
    pub fn unpack_flat(
        &self,
        image: &Image,
        dest: &Path,
        opts: &ApplyOptions,
    ) -> Result<(), Error> {
        if dest.exists() {
            return Err(Error::io(
                "unpack into",
                dest,
                io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "it already exists: choose a new directory",
                ),
            ));
        }
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = fresh_dir_in(parent)?;
        let opts = ApplyOptions {
            whiteouts: WhiteoutMode::Apply,
            ..opts.clone()
        };
        for layer in &image.layers {
            self.apply_blob(layer, tmp.path(), &opts)?;
        }
        fs::rename(tmp.keep(), dest).map_err(|e| Error::io("rename unpacked image to", dest, e))
    }
}

/// A new, empty, 0755 directory inside `parent` that is removed again if dropped.
fn fresh_dir_in(parent: &Path) -> Result<tempfile::TempDir, Error> {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::Builder::new()
        .prefix(".unpack-")
        .tempdir_in(parent)
        .map_err(|e| Error::io("create temporary directory in", parent, e))?;
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io("chmod", tmp.path(), e))?;
    Ok(tmp)
}
