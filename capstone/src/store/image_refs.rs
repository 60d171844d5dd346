//! Naming images the way Docker does: a reference is parsed and normalised by lesson 05
//! (`alpine` → `docker.io/library/alpine:latest`) and stored under that full name in lesson
//! 04's store; an image may also be named by its id (the config digest), or a prefix of it.

use crate::model::ids;
use crate::{Error, Result};
use images::{Image, Store};
use registry::Reference;

/// The full, normalised form of a reference, as tags are stored.
pub fn normalize(reference: &str) -> Result<String> {
    Ok(Reference::parse(reference)?.to_string())
}

/// `(REPOSITORY, TAG)` as `docker images` shows them (`alpine`, `latest`).
pub fn repository_and_tag(stored: &str) -> (String, String) {
    match Reference::parse(stored) {
        Ok(r) => {
            let tag = r.tag.clone().unwrap_or_else(|| "<none>".into());
            let familiar = Reference {
                tag: None,
                digest: None,
                ..r
            }
            .familiar();
            (familiar, tag)
        }
        Err(_) => (stored.to_string(), "<none>".into()),
    }
}

/// The short form of a stored reference (`alpine:latest`).
pub fn familiar(stored: &str) -> String {
    Reference::parse(stored).map_or_else(|_| stored.to_string(), |r| r.familiar())
}

/// Finds an image by reference, manifest digest, or id (prefix of the config digest).
pub fn find(store: &Store, typed: &str) -> Result<Image> {
    if let Ok(full) = normalize(typed) {
        match store.image(&full) {
            Ok(image) => return Ok(image),
            Err(images::Error::UnknownReference(_)) => {}
            // The tag is there but its image could not be read: say why, rather than "no
            // such image", which makes `docker run` go and pull it.
            Err(e) => return Err(e.into()),
        }
    }
    if let Ok(image) = store.image(typed) {
        return Ok(image);
    }
    // `NAME@sha256:…`: a pull by digest tags nothing; the manifest blob itself is the image.
    if let Some((_, digest)) = typed.rsplit_once('@')
        && let Ok(image) = store.image(digest)
    {
        return Ok(image);
    }
    let wanted = typed.strip_prefix("sha256:").unwrap_or(typed);
    if wanted.len() >= 4 && wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
        for digest in store.tags()?.values() {
            let image = store.image_by_digest(digest)?;
            if image.config_digest.hex().starts_with(wanted) {
                return Ok(image);
            }
        }
    }
    Err(Error::NoSuchImage(typed.into()))
}

/// The tags (full references) that point at `image`'s manifest.
pub fn tags_of(store: &Store, image: &Image) -> Result<Vec<String>> {
    Ok(store
        .tags()?
        .into_iter()
        .filter(|(_, d)| *d == image.digest)
        .map(|(t, _)| t)
        .collect())
}

/// The short image id (12 hex digits of the config digest).
pub fn short_id(image: &Image) -> String {
    ids::short(image.config_digest.hex()).to_string()
}
