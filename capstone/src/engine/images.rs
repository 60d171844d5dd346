//! Getting images into the store from a registry: `pull`, through lesson 05's client, with
//! mirrors from `CAPSTONE_REGISTRY_MIRROR` or `<root>/registries.json` (the shape of Docker's
//! `daemon.json`), and the logins saved by `capstone login` ([`crate::store::credentials`]).
//! `run`, `create` and build's `FROM` pull through the same function, so names resolve the
//! same way everywhere (`busybox` is `docker.io/library/busybox:latest`).

use super::Engine;
use super::events::Event;
use crate::model::container::Container;
use crate::store::image_refs as images_ref;
use crate::store::{Paths, credentials};
use crate::{Error, Result};

/// Pulls `typed` (a reference as the user wrote it) into the store. `say` receives Docker's
/// progress lines (`Pulling …`, `Digest: …`, `Status: …`), for the front end to print.
pub fn pull(paths: &Paths, typed: &str, say: &mut dyn FnMut(String)) -> Result<()> {
    pull_as(paths, typed, None, say)
}

/// [`pull`] with one more login for the reference's registry, used and not saved (what an
/// Engine API client sends in `X-Registry-Auth`).
pub fn pull_as(
    paths: &Paths,
    typed: &str,
    login: Option<&registry::auth::Login>,
    say: &mut dyn FnMut(String),
) -> Result<()> {
    let reference = registry::Reference::parse(typed)?;
    let store = paths.store()?;
    let client = credentials::client_with(paths, &reference.registry, login)?;
    let options = registry::pull::PullOptions::default();
    // Blobs land before the tag that makes them reachable: keep collections out meanwhile.
    let _writing = super::gc::lock_for_writing(paths)?;
    say(format!("Pulling {}", reference.familiar()));
    let pulled = registry::pull::pull(&client, &store, &reference, &options)
        .map_err(credentials::explain)?;
    say(format!("Digest: {}", pulled.manifest));
    say(format!(
        "Status: Downloaded newer image for {}",
        reference.familiar()
    ));
    let name = reference.familiar();
    let event = Event::now("image", "pull", &name, &[("name", name.as_str())]);
    super::events::emit(paths, event);
    Ok(())
}

/// What `rmi` did, in Docker's order (the `DELETE /images/{name}` reply has the same items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// A tag that was removed (the full reference).
    Untagged(String),
    /// An image config, or a layer's chain id, that was deleted.
    Deleted(String),
}

/// `rmi NAME`, as Docker decides: a name removes that tag; an id removes every tag (refused
/// without `force` when there are several). When the last tag goes, the image is deleted and
/// its blobs and layers that nothing else uses are freed ([`super::gc`]). Deleting an image a
/// container uses is refused without `force`; with it, a stopped container keeps its layers
/// (they stay until `system prune` after the container is gone), and a running one keeps the
/// whole image (only untagged, as Docker does).
pub fn remove_image(paths: &Paths, name: &str, force: bool) -> Result<Vec<Removed>> {
    let store = paths.store()?;
    let containers = super::reconcile::list_observed(paths)?;
    let mut removed = Vec::new();
    let image = images_ref::find(&store, name)?;
    let tags = images_ref::tags_of(&store, &image)?;
    let by_tag = images_ref::normalize(name)
        .ok()
        .filter(|n| tags.contains(n));
    if by_tag.is_none() && tags.len() > 1 && !force {
        return Err(Error::invalid(
            "image",
            name,
            "it is referenced in multiple repositories: remove it by name, or use -f",
        ));
    }
    let untag: Vec<String> = match by_tag {
        Some(tag) => vec![tag],
        None => tags.clone(),
    };
    let deletes = untag.len() == tags.len();
    let users: Vec<_> = containers
        .iter()
        .filter(|c| c.image_manifest == image.digest.to_string())
        .collect();
    if deletes
        && !force
        && let Some(user) = users.first()
    {
        return Err(Error::ImageInUse {
            image: name.to_string(),
            container: user.short_id().into(),
        });
    }
    for t in &untag {
        store.untag(t)?;
        removed.push(Removed::Untagged(t.clone()));
    }
    if deletes && !users.iter().any(|c| c.is_active()) {
        removed.push(Removed::Deleted(image.config_digest.to_string()));
        let (layers, _) = super::gc::remove_image(paths, &store, &image)?;
        removed.extend(layers.into_iter().map(|l| Removed::Deleted(l.to_string())));
    }
    Ok(removed)
}

impl Engine {
    /// `rmi`: see [`remove_image`].
    pub fn remove_image(&self, name: &str, force: bool) -> Result<Vec<Removed>> {
        let removed = remove_image(&self.paths, name, force)?;
        for item in &removed {
            let event = match item {
                Removed::Untagged(tag) => {
                    let familiar = images_ref::familiar(tag);
                    Event::now("image", "untag", &familiar, &[("name", familiar.as_str())])
                }
                Removed::Deleted(id) => Event::now("image", "delete", id, &[("name", id.as_str())]),
            };
            super::events::emit(&self.paths, event);
        }
        Ok(removed)
    }

    /// `tag SOURCE TARGET`: one more name for an image in the store.
    pub fn tag(&self, source: &str, target: &str) -> Result<()> {
        let store = self.paths.store()?;
        let image = images_ref::find(&store, source)?;
        let target = images_ref::normalize(target)?;
        store.tag(&target, &image.digest)?;
        let id = image.config_digest.to_string();
        let name = images_ref::familiar(&target);
        super::events::emit(
            &self.paths,
            Event::now("image", "tag", &id, &[("name", name.as_str())]),
        );
        Ok(())
    }

    /// `commit [-a AUTHOR] [-m MESSAGE] CONTAINER [REFERENCE]`: a container's writable layer on
    /// top of its image, as a new image. Holds the image store's write lock (flock(2), shared)
    /// so that a collection never sweeps the new blobs before the tag names them.
    pub fn commit(
        &self,
        container: &str,
        reference: Option<&str>,
        notes: &super::commit::CommitNotes,
    ) -> Result<images::Image> {
        let _writing = super::gc::lock_for_writing(&self.paths)?;
        let record: Container = super::reconcile::find_observed(&self.paths, container)?;
        super::commit::commit(&self.paths, &record, reference, notes)
    }
}

/// One step of an image's history, newest first as `docker history` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryStep {
    /// The image's config digest for the newest step; `None` (Docker's `<missing>`) for the
    /// steps below it, which are not images of their own here.
    pub image: Option<String>,
    /// When the step ran (RFC 3339), if recorded.
    pub created: Option<String>,
    /// The instruction that made it (`/bin/sh -c #(nop)  CMD ["sh"]`).
    pub created_by: String,
    /// The size of the layer it added (the stored blob's size), 0 for a config-only step.
    pub size: u64,
    /// The step's comment.
    pub comment: String,
}

impl Engine {
    /// The id (config digest, `sha256:…`) of the image `typed` names, as a container record's
    /// `Image`; `None` when the store does not have it.
    pub fn image_id(&self, typed: &str) -> Result<Option<String>> {
        match images_ref::find(&self.paths.store()?, typed) {
            Ok(image) => Ok(Some(image.config_digest.to_string())),
            Err(Error::NoSuchImage(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `history IMAGE`: the config's `history` (OCI image-spec config.md), each step that made
    /// a layer matched with that layer, in order.
    pub fn history(&self, name: &str) -> Result<Vec<HistoryStep>> {
        let store = self.paths.store()?;
        let image = images_ref::find(&store, name)?;
        let config = serde_json::to_value(&image.config).unwrap_or_default();
        let text = |v: &serde_json::Value, key: &str| {
            v.get(key)
                .and_then(|s| s.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let mut layers = image.layers.iter();
        let mut steps = Vec::new();
        let recorded = config.get("history").and_then(|h| h.as_array());
        for entry in recorded.into_iter().flatten() {
            let empty = entry
                .get("empty_layer")
                .and_then(|e| e.as_bool())
                .unwrap_or(false);
            let size = if empty {
                0
            } else {
                layers.next().map_or(0, |l| l.size)
            };
            steps.push(HistoryStep {
                image: None,
                created: entry
                    .get("created")
                    .and_then(|c| c.as_str())
                    .map(String::from),
                created_by: text(entry, "created_by"),
                size,
                comment: text(entry, "comment"),
            });
        }
        // Layers the history does not mention (an image made by other tools) still show.
        for layer in layers {
            steps.push(HistoryStep {
                image: None,
                created: None,
                created_by: String::new(),
                size: layer.size,
                comment: String::new(),
            });
        }
        steps.reverse();
        if let Some(top) = steps.first_mut() {
            top.image = Some(image.config_digest.to_string());
        }
        Ok(steps)
    }
}
