//! Where images are pulled from: lesson 05's registry configuration, read from
//! `<root>/registries.json` (the two keys of Docker's `daemon.json`: `registry-mirrors` and
//! `insecure-registries`), plus a mirror from `CAPSTONE_REGISTRY_MIRROR` — the one setting a
//! workshop needs to serve `alpine` from a classroom registry instead of Docker Hub.

use crate::{Result, store};

/// The environment variable naming a mirror for Docker Hub images, e.g. `http://10.0.0.2:5000`.
pub const MIRROR_ENV: &str = "CAPSTONE_REGISTRY_MIRROR";

/// The registry configuration for this store.
pub fn config(paths: &store::Paths) -> Result<registry::config::Config> {
    let file = paths.root.join("registries.json");
    let mut config = if file.exists() {
        registry::config::Config::load(&file)?
    } else {
        registry::config::Config::default()
    };
    if let Ok(mirror) = std::env::var(MIRROR_ENV) {
        let mirror = mirror.trim_end_matches('/').to_string();
        // A mirror given as plain http:// is meant to be reached without TLS.
        if let Some(host) = mirror.strip_prefix("http://") {
            config.insecure.push(host.to_string());
        }
        config.mirrors.insert(0, mirror);
    }
    Ok(config)
}
