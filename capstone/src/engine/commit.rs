//! `commit`: a container's upper directory becomes one more layer on top of its image, with
//! lesson 04's `ImageBuilder`: its config is the base image's whole config with the
//! container's process settings as the new defaults, a history entry and the new diff ID; the
//! layer goes through lesson 04's one tar → digest → gzip path (lesson 03 writes the upper dir
//! as a layer tar, overlay whiteouts turned into `.wh.` files).

use crate::model::clock;
use crate::model::container::Container;
use crate::store::image_refs as images_ref;
use crate::{Error, Result, store};
use images::ImageBuilder;
use images::digest::Digest;
use images::runconfig::Settings;

/// What `commit -a AUTHOR -m MESSAGE` adds to the new image; empty strings add nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitNotes {
    /// The config's `author` (image-spec config.md).
    pub author: String,
    /// The new history entry's `comment`.
    pub message: String,
}

/// Commits `record`'s changes as a new image, tagged `reference` if given.
pub fn commit(
    paths: &store::Paths,
    record: &Container,
    reference: Option<&str>,
    notes: &CommitNotes,
) -> Result<images::Image> {
    let store = paths.store()?;
    let manifest_digest: Digest = record.image_manifest.parse().map_err(|_| Error::Corrupt {
        path: paths.record(&record.id),
        why: "bad image digest".into(),
    })?;
    let base = store.image_by_digest(&manifest_digest)?;
    let mut image = ImageBuilder::from_image(&store, &base);
    image.add_dir_layer(&record.rootfs.upper_dir)?;
    let c = &record.config;
    let config = image.config_mut();
    config.set_settings(&Settings {
        entrypoint: c.entrypoint.clone(),
        cmd: c.cmd.clone(),
        env: c.env.clone(),
        working_dir: c.working_dir.clone(),
        user: c.user.clone(),
    });
    config.set_created(&clock::now());
    config.add_history(&format!("capstone commit {}", record.short_id()), false);
    if !notes.author.is_empty() {
        config.set_author(&notes.author);
    }
    if !notes.message.is_empty() {
        config.set_last_history_comment(&notes.message);
    }
    let committed = image.store()?;
    if let Some(reference) = reference {
        store.tag(&images_ref::normalize(reference)?, &committed.digest)?;
    }
    Ok(committed)
}
