//! Saved registry logins, and the registry client that uses them.
//!
//! `capstone login` keeps credentials in `<root>/config.json`, in the shape of Docker's
//! `~/.docker/config.json` (lesson 05's [`CredentialStore`]):
//!
//! ```json
//! { "auths": { "127.0.0.1:5000": { "auth": "c3R1ZGVudDpzZWNyZXQ=" } } }
//! ```
//!
//! `auth` is base64 of `user:password` — an encoding, not encryption — so the file is created
//! with mode 0600 (open(2)'s `mode`, then rename(2)): only its owner may read it. Why beside the
//! store and not in `$HOME`: the engine runs as root with one store per `--root`, so a
//! classroom (or a test) with its own store also has its own logins, and `sudo` does not split
//! one user's logins between two home directories.

use crate::store::registries;
use crate::{Error, Result, store};
use registry::auth::CredentialStore;
use std::path::PathBuf;

/// The credentials file of this store: `<root>/config.json`.
pub fn path(paths: &store::Paths) -> PathBuf {
    paths.root.join("config.json")
}

/// Reads the saved logins (none when the file does not exist).
pub fn load(paths: &store::Paths) -> Result<CredentialStore> {
    Ok(CredentialStore::load(&path(paths))?)
}

/// A registry client with this store's mirrors (see [`registries`]) and saved logins, as
/// `pull` and `push` use it.
pub fn client(paths: &store::Paths) -> Result<registry::Client> {
    Ok(registry::Client::new(
        registries::config(paths)?,
        load(paths)?,
    ))
}

/// The same client with one more login, for `registry`, that is used and not saved: what an
/// Engine API client sends with a request (`X-Registry-Auth`).
pub fn client_with(
    paths: &store::Paths,
    registry: &str,
    login: Option<&registry::auth::Login>,
) -> Result<registry::Client> {
    let mut logins = load(paths)?;
    if let Some(login) = login {
        logins.set(registry, login);
    }
    Ok(registry::Client::new(registries::config(paths)?, logins))
}

/// The registry name logins are saved under, from what the user typed: `docker.io` for
/// nothing or any of Docker Hub's host names; otherwise the host (and port), without a scheme
/// or path (`http://127.0.0.1:5000/v2/` → `127.0.0.1:5000`).
pub fn server_name(typed: Option<&str>) -> String {
    let Some(typed) = typed else {
        return registry::reference::DOCKER_HUB.into();
    };
    let without_scheme = typed
        .strip_prefix("https://")
        .or_else(|| typed.strip_prefix("http://"))
        .unwrap_or(typed);
    let host = without_scheme.split('/').next().unwrap_or(without_scheme);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            registry::reference::DOCKER_HUB.into()
        }
        other => other.to_string(),
    }
}

/// Turns the registry's "authentication required" into the engine's, which names the
/// command to run (`capstone login HOST`); other errors pass through.
pub fn explain(error: registry::Error) -> Error {
    match error {
        registry::Error::Unauthorized { registry, .. } => Error::LoginRequired { registry },
        other => Error::Registry(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_are_saved_like_docker_does() {
        assert_eq!(server_name(None), "docker.io");
        assert_eq!(
            server_name(Some("https://index.docker.io/v1/")),
            "docker.io"
        );
        assert_eq!(
            server_name(Some("http://127.0.0.1:5000/v2/")),
            "127.0.0.1:5000"
        );
        assert_eq!(server_name(Some("lab.local:5000")), "lab.local:5000");
    }
}
