//! `push NAME[:TAG]`: an image from the store to its registry, over lesson 05's client, with
//! Docker's output:
//!
//! ```text
//! The push refers to repository [127.0.0.1:5000/lab/app]
//! 5f70bf18a086: Pushed
//! 3e207b409db3: Layer already exists
//! v1: digest: sha256:… size: 527
//! ```
//!
//! Layers first (each `HEAD` to skip what the registry has, else `POST` + `PUT`), then the
//! config blob, and the manifest last: a registry never holds a tag whose blobs are missing.
//! Pushes go to the registry named in the reference, never to a mirror.

use crate::store::credentials;
use crate::{Error, Result, store};
use images::store::MAX_DOCUMENT;
use registry::Reference;
use registry::manifest::{Manifest, parse};
use registry::push::{BlobPush, PushOptions, push_blob, put_manifest};

pub(super) fn push(paths: &store::Paths, typed: &str) -> Result<i32> {
    let dest = Reference::parse(typed)?;
    if dest.digest.is_some() {
        return Err(Error::invalid(
            "image",
            typed,
            "push a tag (`NAME:TAG`), not a digest",
        ));
    }
    let store = paths.store()?;
    let digest = store
        .resolve(&dest.to_string())
        .map_err(|_| Error::NotTaggedHere(dest.familiar()))?;
    let bytes = store.read_blob(&digest, MAX_DOCUMENT)?;
    let (media_type, manifest) = parse(&bytes, None, &format!("manifest {digest}"))?;
    let Manifest::Image(manifest) = manifest else {
        return Err(Error::invalid(
            "image",
            typed,
            "it is a multi-platform index: push its platform images one by one",
        ));
    };
    let client = credentials::client(paths)?;
    // The last endpoint is the registry itself (the ones before it are pull mirrors).
    let endpoint = client
        .config()
        .endpoints(&dest)
        .pop()
        .expect("a reference has at least one endpoint");
    println!(
        "The push refers to repository [{}/{}]",
        dest.registry, dest.repository
    );
    let options = PushOptions::default();
    // Docker lists the top layer first; the order of uploads does not matter to a registry.
    for layer in manifest.layers.iter().rev() {
        let how = push_blob(
            &client,
            &endpoint,
            &dest.repository,
            &store,
            layer,
            &options,
        )
        .map_err(credentials::explain)?;
        let what = match how {
            BlobPush::Existed => "Layer already exists",
            BlobPush::Mounted => "Mounted from another repository",
            BlobPush::Uploaded { .. } => "Pushed",
        };
        println!("{}: {what}", registry::progress::short_id(&layer.digest));
    }
    push_blob(
        &client,
        &endpoint,
        &dest.repository,
        &store,
        &manifest.config,
        &options,
    )
    .map_err(credentials::explain)?;
    put_manifest(
        &client,
        &endpoint,
        &dest,
        &bytes,
        &media_type,
        &digest.to_string(),
    )
    .map_err(credentials::explain)?;
    println!(
        "{}: digest: {digest} size: {}",
        dest.tag.as_deref().unwrap_or("latest"),
        bytes.len()
    );
    Ok(0)
}
