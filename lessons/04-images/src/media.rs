//! Media types, and parsing manifests and indexes without being fooled about which is which.
//!
//! An image index lists manifests; a manifest lists a config and layers. The JSON documents look
//! alike, and a registry (or an attacker) can serve one where the other is expected. A tool that
//! guesses from the fields alone can be made to read the same bytes two ways and verify one
//! while using the other ("media-type confusion", the reason the OCI image-spec now says a
//! manifest MUST NOT carry `manifests` and an index MUST NOT carry `layers`/`config`). So we
//! compare the declared type (descriptor or HTTP `Content-Type`), the `mediaType` inside the
//! document, and the fields present, and refuse any disagreement.
//!
//! Docker's schema 2 types are accepted alongside the OCI ones: they are the same structure.

use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest};
use serde_json::Value;

use crate::Error;

/// OCI image manifest (`application/vnd.oci.image.manifest.v1+json`).
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index (`application/vnd.oci.image.index.v1+json`).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI layer, uncompressed tar.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI layer, gzip-compressed tar.
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI layer, zstd-compressed tar.
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (Docker's name for an index).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker layer, gzip-compressed tar.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker layer, uncompressed tar (seen in `docker save` archives converted by tools).
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (RFC 1952).
    Gzip,
    /// zstd (RFC 8878).
    Zstd,
}

/// The compression a layer media type implies, or an error for a type that is not a layer.
pub fn layer_compression(media_type: &str) -> Result<Compression, Error> {
    match media_type {
        OCI_LAYER_TAR
        | DOCKER_LAYER_TAR
        | "application/vnd.oci.image.layer.nondistributable.v1.tar" => Ok(Compression::None),
        OCI_LAYER_GZIP
        | DOCKER_LAYER_GZIP
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => Ok(Compression::Gzip),
        OCI_LAYER_ZSTD | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" => {
            Ok(Compression::Zstd)
        }
        other => Err(Error::UnsupportedMediaType {
            media_type: other.to_string(),
            what: "a layer".into(),
        }),
    }
}

/// True for the manifest types (OCI or Docker).
pub fn is_manifest_type(media_type: &str) -> bool {
    media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
}

/// True for the index types (OCI index or Docker manifest list).
pub fn is_index_type(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}

/// True for the image config types (OCI or Docker).
pub fn is_config_type(media_type: &str) -> bool {
    media_type == OCI_CONFIG || media_type == DOCKER_CONFIG
}

/// A parsed top-level document: either one image's manifest or an index of manifests.
#[derive(Debug, Clone)]
pub enum Document {
    /// An image manifest and its media type.
    Manifest(Box<ImageManifest>, String),
    /// An image index (or Docker manifest list) and its media type.
    Index(Box<ImageIndex>, String),
}

/// Parses a manifest or index, checking that `declared` (the descriptor's or HTTP
/// `Content-Type`'s media type, if known), the document's own `mediaType` and its fields agree.
pub fn parse_document(bytes: &[u8], declared: Option<&str>, what: &str) -> Result<Document, Error> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| Error::bad(what, e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or_else(|| Error::bad(what, "not a JSON object"))?;
    if obj.get("schemaVersion").and_then(Value::as_u64) != Some(2) {
        return Err(Error::bad(
            what,
            "schemaVersion is not 2 (Docker schema 1 and unknown versions are not supported)",
        ));
    }
    let inner = obj.get("mediaType").and_then(Value::as_str);
    match (declared, inner) {
        (Some(d), Some(i)) if d != i => {
            return Err(Error::bad(
                what,
                format!("declared as {d:?} but its mediaType says {i:?}"),
            ));
        }
        _ => {}
    }
    let has = |k: &str| obj.contains_key(k);
    let media_type = match declared.or(inner) {
        Some(t) => t.to_string(),
        // No type anywhere (allowed by OCI): infer from the fields, refusing ambiguity.
        None if has("manifests") && !has("layers") && !has("config") => OCI_INDEX.to_string(),
        None if has("layers") && has("config") && !has("manifests") => OCI_MANIFEST.to_string(),
        None => {
            return Err(Error::bad(
                what,
                "has no mediaType and its fields are ambiguous",
            ));
        }
    };
    if is_manifest_type(&media_type) {
        // ANCHOR: confusion
        if has("manifests") {
            return Err(Error::bad(
                what,
                "claims to be a manifest but has `manifests` (media-type confusion)",
            ));
        }
        // ANCHOR_END: confusion
        let m: ImageManifest =
            serde_json::from_value(value).map_err(|e| Error::bad(what, e.to_string()))?;
        let config_type = m.config().media_type().to_string();
        if !is_config_type(&config_type) {
            return Err(Error::UnsupportedMediaType {
                media_type: config_type,
                what: format!("the config of {what} (not a container image)"),
            });
        }
        Ok(Document::Manifest(Box::new(m), media_type))
    } else if is_index_type(&media_type) {
        if has("layers") || has("config") {
            return Err(Error::bad(
                what,
                "claims to be an index but has `layers`/`config` (media-type confusion)",
            ));
        }
        let i: ImageIndex =
            serde_json::from_value(value).map_err(|e| Error::bad(what, e.to_string()))?;
        Ok(Document::Index(Box::new(i), media_type))
    } else {
        Err(Error::UnsupportedMediaType {
            media_type,
            what: what.to_string(),
        })
    }
}

/// Parses an image manifest, refusing an index or anything else.
pub fn parse_manifest(
    bytes: &[u8],
    declared: Option<&str>,
    what: &str,
) -> Result<ImageManifest, Error> {
    match parse_document(bytes, declared, what)? {
        Document::Manifest(m, _) => Ok(*m),
        Document::Index(_, t) => Err(Error::bad(
            what,
            format!("expected an image manifest, found an index ({t})"),
        )),
    }
}

/// Parses an image config (OCI or Docker; Docker's extra fields are ignored).
pub fn parse_config(bytes: &[u8], what: &str) -> Result<ImageConfiguration, Error> {
    let c: ImageConfiguration =
        serde_json::from_slice(bytes).map_err(|e| Error::bad(what, e.to_string()))?;
    if c.rootfs().typ() != "layers" {
        return Err(Error::bad(what, "rootfs.type is not \"layers\""));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}"#;

    #[test]
    fn a_manifest_carrying_manifests_is_refused() {
        let doc = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{CONFIG},"layers":[],"manifests":[]}}"#
        );
        let err = parse_document(doc.as_bytes(), None, "m").unwrap_err();
        assert!(err.to_string().contains("media-type confusion"), "{err}");
    }

    #[test]
    fn an_index_carrying_layers_is_refused() {
        let doc = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[],"layers":[]}}"#
        );
        let err = parse_document(doc.as_bytes(), None, "i").unwrap_err();
        assert!(err.to_string().contains("media-type confusion"), "{err}");
    }

    #[test]
    fn declared_and_inner_media_types_must_agree() {
        let doc = format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[]}}"#);
        assert!(parse_document(doc.as_bytes(), Some(OCI_MANIFEST), "x").is_err());
        assert!(matches!(
            parse_document(doc.as_bytes(), Some(OCI_INDEX), "x").unwrap(),
            Document::Index(..)
        ));
    }

    #[test]
    fn docker_schema2_manifests_are_accepted() {
        let doc = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"{DOCKER_CONFIG}","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}},"layers":[]}}"#
        );
        assert!(parse_manifest(doc.as_bytes(), None, "d").is_ok());
    }
}
