//! Test images as OCI image layouts (image-spec `image-layout.md`), for `skopeo copy oci:DIR:TAG`.
//!
//! ```text
//! DIR/oci-layout                 {"imageLayoutVersion": "1.0.0"}
//! DIR/blobs/sha256/<hex>         layers, configs, manifests, indexes
//! DIR/index.json                 entry points, named by org.opencontainers.image.ref.name
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// OCI media types used by the test images.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Uncompressed tar layer (fast to make; the registry does not care about compression).
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// Gzipped tar layer, what real images use.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// An OCI image layout being assembled in a directory.
pub struct OciLayout {
    dir: PathBuf,
    refs: Vec<Value>,
}

/// `{mediaType, digest, size}` of a blob in the layout.
pub fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": sha256(bytes), "size": bytes.len()})
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A tar archive of `(path, contents, mode)` regular files.
pub fn tar_layer(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, contents, mode) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(1_700_000_000);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, path, *contents)
            .expect("append to tar");
    }
    builder.into_inner().expect("finish tar")
}

/// A layer holding Debian's static busybox as `/bin/busybox` and `/bin/sh`-style file.
pub fn busybox_layer() -> Vec<u8> {
    let busybox =
        std::fs::read("/bin/busybox").expect("/bin/busybox (apt-get install busybox-static)");
    tar_layer(&[("bin/busybox", &busybox, 0o755)])
}

/// Incompressible pseudo-random bytes (xorshift; same `seed`, same bytes), for big layers.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

impl OciLayout {
    /// Starts an empty layout in `dir` (created if needed).
    pub fn new(dir: &Path) -> OciLayout {
        std::fs::create_dir_all(dir.join("blobs/sha256")).expect("create layout");
        std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        OciLayout {
            dir: dir.to_path_buf(),
            refs: Vec::new(),
        }
    }

    /// The layout directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a blob and returns its descriptor.
    pub fn blob(&self, media_type: &str, bytes: &[u8]) -> Value {
        let d = descriptor(media_type, bytes);
        let hex = d["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:")
            .to_string();
        std::fs::write(self.dir.join("blobs/sha256").join(hex), bytes).expect("write blob");
        d
    }

    /// An image for `linux/<arch>[/variant]` with `layers` (tar bytes, base first); returns the
    /// manifest's descriptor with its platform filled in.
    pub fn image(
        &self,
        arch: &str,
        variant: Option<&str>,
        layers: &[Vec<u8>],
        layer_type: &str,
    ) -> Value {
        let diff_ids: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
        let layer_descs: Vec<Value> = layers.iter().map(|l| self.blob(layer_type, l)).collect();
        let mut config = json!({
            "architecture": arch, "os": "linux",
            "config": {"Cmd": ["/bin/busybox", "sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        });
        if let Some(v) = variant {
            config["variant"] = json!(v);
        }
        let config = self.blob(
            "application/vnd.oci.image.config.v1+json",
            config.to_string().as_bytes(),
        );
        let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layer_descs});
        let mut d = self.blob(OCI_MANIFEST, manifest.to_string().as_bytes());
        d["platform"] = json!({"os": "linux", "architecture": arch});
        if let Some(v) = variant {
            d["platform"]["variant"] = json!(v);
        }
        d
    }

    /// An index of `manifests` (descriptors with platforms); returns its descriptor.
    pub fn index(&self, manifests: &[Value]) -> Value {
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
        self.blob(OCI_INDEX, index.to_string().as_bytes())
    }

    /// Names `descriptor` `name` in `index.json` (rewritten each time), so `oci:DIR:name` finds it.
    pub fn name(&mut self, name: &str, descriptor: &Value) -> String {
        let mut d = descriptor.clone();
        d.as_object_mut().unwrap().remove("platform");
        d["annotations"] = json!({"org.opencontainers.image.ref.name": name});
        self.refs.push(d);
        let index = json!({"schemaVersion": 2, "manifests": self.refs});
        std::fs::write(self.dir.join("index.json"), index.to_string()).unwrap();
        format!("oci:{}:{name}", self.dir.display())
    }
}
