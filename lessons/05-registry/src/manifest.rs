//! Manifests: fetching them by tag or digest, checking their digest, and choosing a platform.
//!
//! A registry stores two kinds of manifest, each in an OCI and an older Docker flavour:
//!
//! | kind   | OCI                                           | Docker                                                   |
//! |--------|-----------------------------------------------|----------------------------------------------------------|
//! | image  | `application/vnd.oci.image.manifest.v1+json`  | `application/vnd.docker.distribution.manifest.v2+json`   |
//! | index  | `application/vnd.oci.image.index.v1+json`     | `application/vnd.docker.distribution.manifest.list.v2+json` |
//!
//! The client lists all four in `Accept`; a registry that is not told a type may convert the
//! manifest (changing its digest) or fall back to the ancient schema 1.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::client::{Body, Client, status_error};
use crate::config::Endpoint;
use crate::error::Error;

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index (one manifest per platform).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (Docker's index).
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The `Accept` header: every manifest type we can read.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// A pointer to content: its type, digest and size (OCI image-spec `descriptor.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// What the content is (`…layer.v1.tar+gzip`, `…manifest.v1+json`).
    pub media_type: String,
    /// `sha256:<hex>` of the content.
    pub digest: String,
    /// Length in bytes.
    pub size: u64,
    /// For index entries: which platform this manifest is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An OS/CPU pair (plus variant, e.g. `v8` for arm64, `v7` for 32-bit arm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// `linux`, `windows`, …
    pub os: String,
    /// GOARCH names: `amd64`, `arm64`, `arm`, `s390x`, …
    pub architecture: String,
    /// CPU variant: `v7`, `v8`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// An image manifest: a config blob and an ordered list of layer blobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// One of the two image manifest types (optional in OCI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The image configuration (env, entrypoint, rootfs diff ids).
    pub config: Descriptor,
    /// Filesystem layers, base first.
    pub layers: Vec<Descriptor>,
}

/// An index: one image manifest per platform.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// One of the two index types (optional in OCI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The per-platform manifests.
    pub manifests: Vec<Descriptor>,
}

/// Either kind of manifest.
#[derive(Debug, Clone)]
pub enum Manifest {
    /// A single-platform image.
    Image(ImageManifest),
    /// A multi-platform index.
    Index(ImageIndex),
}

/// A manifest as fetched: the exact bytes (whose sha256 is its digest), its type and digest.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The `Content-Type` it was served with.
    pub media_type: String,
    /// `sha256:` of `bytes`, checked against what was asked for.
    pub digest: String,
    /// The raw JSON. Never re-serialize it: that would change the digest.
    pub bytes: Vec<u8>,
    /// The parsed form.
    pub manifest: Manifest,
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `GET /v2/<name>/manifests/<tag-or-digest>` with all four types accepted. The body's sha256
/// must equal the digest asked for (when pulling by digest) or the `Docker-Content-Digest`
/// header the registry sent (when pulling by tag): a manifest is trusted by its digest.
pub fn fetch_manifest(
    client: &Client,
    endpoint: &Endpoint,
    repository: &str,
    target: &str,
) -> Result<Fetched, Error> {
    let url = format!("{}/v2/{repository}/manifests/{target}", endpoint.base);
    let scope = format!("repository:{repository}:pull");
    let mut response = client.send(
        endpoint,
        "GET",
        &url,
        &[("Accept", ACCEPT)],
        Body::Empty,
        &scope,
    )?;
    let what = format!("manifest {repository}:{target}");
    if response.status().as_u16() != 200 {
        return Err(status_error(endpoint, response, &url, &what, "pull"));
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
    };
    let content_type = header("content-type");
    let served_digest = header("docker-content-digest");
    let bytes = response
        .body_mut()
        .with_config()
        .limit(4 * 1024 * 1024)
        .read_to_vec()
        .map_err(|source| Error::connect(&url, source))?;
    let digest = sha256_digest(&bytes);
    // exercise 05.4 verify-digest: begin
    let expected = if target.contains(':') {
        Some(target.to_string())
    } else {
        served_digest
    };
    if let Some(expected) = expected.filter(|d| d.starts_with("sha256:") && *d != digest) {
        return Err(Error::DigestMismatch {
            what,
            expected,
            actual: digest,
        });
    }
    // exercise 05.4: end
    let (media_type, manifest) = parse(&bytes, content_type.as_deref(), &what)?;
    Ok(Fetched {
        media_type,
        digest,
        bytes,
        manifest,
    })
}

/// Parses manifest JSON, using the `mediaType` field when the header is missing or generic.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    what: &str,
) -> Result<(String, Manifest), Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    let json = |source| Error::Json {
        what: what.into(),
        source,
    };
    let probe: Probe = serde_json::from_slice(bytes).map_err(json)?;
    let media_type = match (probe.media_type, content_type) {
        (Some(t), _) => t,
        (None, Some(t)) if t != "application/json" && !t.is_empty() => t.to_string(),
        // OCI allows omitting mediaType: an index is recognised by its `manifests` list.
        (None, _) if probe.manifests.is_some() => OCI_INDEX.to_string(),
        (None, _) => OCI_MANIFEST.to_string(),
    };
    let media_type = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let manifest = match media_type.as_str() {
        OCI_INDEX | DOCKER_LIST => Manifest::Index(serde_json::from_slice(bytes).map_err(json)?),
        OCI_MANIFEST | DOCKER_MANIFEST => {
            Manifest::Image(serde_json::from_slice(bytes).map_err(json)?)
        }
        _ => {
            return Err(Error::UnsupportedMediaType {
                media_type,
                what: what.into(),
            });
        }
    };
    Ok((media_type, manifest))
}

impl Platform {
    /// Parses `os/arch[/variant]` as `--platform` takes it (`linux/arm64/v8`).
    pub fn parse(s: &str) -> Result<Platform, Error> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] | [os, arch, _] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: parts.get(2).map(|v| v.to_string()),
            }),
            _ => Err(Error::Invalid(format!(
                "invalid platform {s:?}: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8"
            ))),
        }
    }

    /// The machine we run on, in OCI's (Go's) names: `x86_64` is `amd64`, `aarch64` is `arm64`.
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    /// The variant with its default filled in, as containerd compares them:
    /// arm64 means v8, arm means v7, amd64 means v1.
    fn normalized_variant(&self) -> Option<&str> {
        match (self.architecture.as_str(), self.variant.as_deref()) {
            ("arm64", None) => Some("v8"),
            ("arm", None) => Some("v7"),
            ("amd64", None) => Some("v1"),
            (_, v) => v,
        }
    }

    /// Whether an index entry for `self` can run where `wanted` is asked for.
    pub fn matches(&self, wanted: &Platform) -> bool {
        self.os == wanted.os
            && self.architecture == wanted.architecture
            && (wanted.variant.is_none()
                || self.normalized_variant() == wanted.normalized_variant())
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Chooses the manifest for `wanted` from an index: an exact variant match first, then the
/// default variant, then any variant of that OS/architecture.
pub fn select_platform<'a>(
    index: &'a ImageIndex,
    wanted: &Platform,
    what: &str,
) -> Result<&'a Descriptor, Error> {
    // exercise 05.5 choose-platform: begin
    let with_platform = || {
        index
            .manifests
            .iter()
            .filter_map(|d| Some((d, d.platform.as_ref()?)))
    };
    let exact = with_platform().find(|(_, p)| p.matches(wanted) && p.variant == wanted.variant);
    let normalized = || with_platform().find(|(_, p)| p.matches(wanted));
    let defaulted = || {
        let default = Platform {
            variant: None,
            ..wanted.clone()
        };
        with_platform().find(|(_, p)| {
            p.normalized_variant() == default.normalized_variant() && p.matches(wanted)
        })
    };
    let found = exact.or_else(defaulted).or_else(normalized).map(|(d, _)| d);
    found.ok_or_else(|| Error::NoPlatform {
        wanted: wanted.to_string(),
        what: what.into(),
        available: with_platform()
            .map(|(_, p)| p.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
    // exercise 05.5: end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(arch: &str, variant: Option<&str>, digest: &str) -> Descriptor {
        Descriptor {
            media_type: OCI_MANIFEST.into(),
            digest: digest.into(),
            size: 1,
            platform: Some(Platform {
                os: "linux".into(),
                architecture: arch.into(),
                variant: variant.map(Into::into),
            }),
            annotations: None,
        }
    }

    #[test]
    fn platform_selection_honours_variants() {
        let index = ImageIndex {
            schema_version: 2,
            media_type: None,
            manifests: vec![
                entry("arm", Some("v6"), "arm6"),
                entry("arm", Some("v7"), "arm7"),
                entry("arm64", Some("v8"), "arm64"),
                entry("amd64", None, "amd64"),
            ],
        };
        let pick = |p: &str| {
            select_platform(&index, &Platform::parse(p).unwrap(), "x")
                .unwrap()
                .digest
                .clone()
        };
        assert_eq!(pick("linux/amd64"), "amd64");
        assert_eq!(pick("linux/arm64"), "arm64");
        assert_eq!(pick("linux/arm64/v8"), "arm64");
        assert_eq!(pick("linux/arm/v6"), "arm6");
        assert_eq!(pick("linux/arm"), "arm7");
        let err =
            select_platform(&index, &Platform::parse("linux/s390x").unwrap(), "img").unwrap_err();
        assert!(
            err.to_string()
                .contains("available: linux/arm/v6, linux/arm/v7"),
            "{err}"
        );
    }

    #[test]
    fn media_type_comes_from_the_body_first() {
        let body = br#"{"schemaVersion":2,"manifests":[]}"#;
        let (t, m) = parse(body, Some("application/json"), "x").unwrap();
        assert_eq!(t, OCI_INDEX);
        assert!(matches!(m, Manifest::Index(_)));
        let v1 = br#"{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"}"#;
        assert!(matches!(
            parse(v1, None, "x"),
            Err(Error::UnsupportedMediaType { .. })
        ));
    }
}
