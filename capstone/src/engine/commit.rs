//! `commit`: a container's upper directory becomes one more layer on top of its image. Lesson
//! 03 writes the upper dir as an OCI layer tar (overlay whiteouts turned into `.wh.` files);
//! lesson 04's store keeps the gzip of it, a new config (the diff ID appended, the container's
//! process settings as the new defaults) and a new manifest.

use crate::model::clock;
use crate::model::container::Container;
use crate::store::image_refs as images_ref;
use crate::{Error, Result, store};
use flate2::write::GzEncoder;
use images::digest::{Digest, HashingWriter};
use images::store::MAX_DOCUMENT;
use serde_json::{Value, json};

/// Commits `record`'s changes as a new image, tagged `reference` if given.
pub fn commit(
    paths: &store::Paths,
    record: &Container,
    reference: Option<&str>,
) -> Result<images::Image> {
    let store = paths.store()?;
    let manifest_digest: Digest = record.image_manifest.parse().map_err(|_| Error::Corrupt {
        path: paths.record(&record.id),
        why: "bad image digest".into(),
    })?;
    let base = store.image_by_digest(&manifest_digest)?;

    // tar → sha256 (the diff ID) → gzip → blob writer (the blob digest).
    let mut tar = HashingWriter::new(GzEncoder::new(
        store.blob_writer()?,
        flate2::Compression::fast(),
    ));
    overlay::layer::write_layer(&record.rootfs.upper_dir, &mut tar)?;
    let (diff_id, _) = tar.digest();
    let blob = tar
        .into_inner()
        .finish()
        .map_err(Error::io("compress layer of", &record.rootfs.upper_dir))?;
    let (layer_digest, layer_size) = blob.commit_computed()?;

    let mut config: Value = serde_json::from_slice(
        &store.read_blob(&base.config_digest, MAX_DOCUMENT)?,
    )
    .map_err(|e| Error::Corrupt {
        path: store.blob_path(&base.config_digest),
        why: e.to_string(),
    })?;
    let now = clock::now();
    config["created"] = json!(now);
    push(
        &mut config["rootfs"]["diff_ids"],
        json!(diff_id.to_string()),
    );
    push(
        &mut config["history"],
        json!({ "created": now, "created_by": format!("capstone commit {}", record.short_id()) }),
    );
    let c = &record.config;
    let process = &mut config["config"];
    if !process.is_object() {
        *process = json!({});
    }
    process["Env"] = json!(c.env);
    process["Cmd"] = json!(c.cmd);
    process["Entrypoint"] = if c.entrypoint.is_empty() {
        Value::Null
    } else {
        json!(c.entrypoint)
    };
    process["WorkingDir"] = json!(c.working_dir);
    process["User"] = json!(c.user);
    let config_bytes = serde_json::to_vec(&config).expect("json");
    let config_digest = store.put_blob(&config_bytes)?;

    let mut manifest: Value =
        serde_json::from_slice(&store.read_blob(&manifest_digest, MAX_DOCUMENT)?).map_err(|e| {
            Error::Corrupt {
                path: store.blob_path(&manifest_digest),
                why: e.to_string(),
            }
        })?;
    manifest["config"] = json!({ "mediaType": images::media::OCI_CONFIG, "digest": config_digest.to_string(), "size": config_bytes.len() });
    push(
        &mut manifest["layers"],
        json!({ "mediaType": images::media::OCI_LAYER_GZIP, "digest": layer_digest.to_string(), "size": layer_size }),
    );
    let manifest_bytes = serde_json::to_vec(&manifest).expect("json");
    let media_type = manifest
        .get("mediaType")
        .and_then(Value::as_str)
        .map(str::to_string);
    let new_digest = store.put_manifest(&manifest_bytes, media_type.as_deref())?;
    if let Some(reference) = reference {
        store.tag(&images_ref::normalize(reference)?, &new_digest)?;
    }
    Ok(store.image_by_digest(&new_digest)?)
}

fn push(list: &mut Value, item: Value) {
    match list.as_array_mut() {
        Some(items) => items.push(item),
        None => *list = json!([item]),
    }
}
