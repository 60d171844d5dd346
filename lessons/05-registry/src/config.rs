//! Where to send requests: mirrors for Docker Hub names, and which registries speak plain HTTP.
//!
//! The file has the shape of the two keys Docker's `daemon.json` uses, so an instructor can copy
//! them over:
//!
//! ```json
//! { "registry-mirrors": ["http://10.0.0.2:5000"], "insecure-registries": ["10.0.0.2:5000"] }
//! ```
//!
//! A mirror serves `docker.io` names only (as in Docker): `alpine` is fetched as
//! `http://10.0.0.2:5000/v2/library/alpine/manifests/latest`, and Docker Hub itself is tried
//! only when every mirror fails.

use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::reference::{DOCKER_HUB, DOCKER_HUB_API_HOST, Reference};

/// Mirrors and insecure registries.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Config {
    /// Base URLs (`http://host:port` or `https://host`) tried in order for `docker.io` images.
    #[serde(rename = "registry-mirrors", default)]
    pub mirrors: Vec<String>,
    /// Registries (`host:port`) to reach over plain HTTP. Loopback is always allowed.
    #[serde(rename = "insecure-registries", default)]
    pub insecure: Vec<String>,
}

/// One place that can answer `/v2/` requests for a reference's registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The registry name the image belongs to (credentials are looked up under it).
    pub registry: String,
    /// Scheme, host and port: `https://registry-1.docker.io`, `http://127.0.0.1:5000`.
    pub base: String,
    /// Whether this is a mirror standing in for `registry`.
    pub mirror: bool,
}

impl Config {
    /// Reads the JSON file at `path`.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            what: path.display().to_string(),
            source,
        })
    }

    /// Whether `host` (with port) may be spoken to without TLS: loopback always (traffic never
    /// leaves the machine), others only when listed as insecure.
    pub fn is_insecure(&self, host: &str) -> bool {
        let name = host
            .rsplit_once(':')
            .map_or(host, |(h, _)| h)
            .trim_matches(['[', ']']);
        let loopback = name == "localhost"
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        loopback || self.insecure.iter().any(|h| h == host)
    }

    /// The endpoints to try for `reference`, in order: mirrors first for Docker Hub names.
    pub fn endpoints(&self, reference: &Reference) -> Vec<Endpoint> {
        let mut out = Vec::new();
        if reference.registry == DOCKER_HUB {
            for base in &self.mirrors {
                let base = base.trim_end_matches('/').to_string();
                out.push(Endpoint {
                    registry: DOCKER_HUB.into(),
                    base,
                    mirror: true,
                });
            }
            let base = format!("https://{DOCKER_HUB_API_HOST}");
            out.push(Endpoint {
                registry: DOCKER_HUB.into(),
                base,
                mirror: false,
            });
            return out;
        }
        let scheme = if self.is_insecure(&reference.registry) {
            "http"
        } else {
            "https"
        };
        let base = format!("{scheme}://{}", reference.registry);
        out.push(Endpoint {
            registry: reference.registry.clone(),
            base,
            mirror: false,
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_serve_docker_hub_names_only() {
        let config: Config = serde_json::from_str(
            r#"{"registry-mirrors": ["http://127.0.0.1:5001/"], "insecure-registries": ["lab.local:5000"]}"#,
        )
        .unwrap();
        let hub = config.endpoints(&Reference::parse("alpine").unwrap());
        assert_eq!(hub[0].base, "http://127.0.0.1:5001");
        assert!(hub[0].mirror);
        assert_eq!(hub[1].base, "https://registry-1.docker.io");
        let other = config.endpoints(&Reference::parse("ghcr.io/a/b").unwrap());
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].base, "https://ghcr.io");
        let lab = config.endpoints(&Reference::parse("lab.local:5000/a").unwrap());
        assert_eq!(lab[0].base, "http://lab.local:5000");
        let local = config.endpoints(&Reference::parse("127.0.0.1:5000/a").unwrap());
        assert_eq!(local[0].base, "http://127.0.0.1:5000");
    }
}
