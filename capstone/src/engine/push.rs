//! `push NAME[:TAG]`: an image from the store to its registry, over lesson 05's client. The
//! front end receives Docker's output, one line at a time:
//!
//! ```text
//! The push refers to repository [127.0.0.1:5000/lab/app]
//! 5f70bf18a086: Pushed
//! 3e207b409db3: Layer already exists
//! v1: digest: sha256:… size: 527
//! ```
//!
//! Layers first (each `HEAD` to skip what the registry has, else `POST` + `PUT`), then the
//! config blob, and the manifest last: a registry never holds a tag whose blobs are missing
//! (the OCI Distribution Specification, "Pushing blobs" then "Pushing Manifests").
//! Pushes go to the registry named in the reference, never to a mirror. `capstone push` and
//! `capstone compose push` both call [`Engine::push`].

use super::Engine;
use super::events::Event;
use crate::store::{Paths, credentials};
use crate::{Error, Result};
use images::store::MAX_DOCUMENT;
use registry::Reference;
use registry::manifest::{Descriptor, Manifest, parse};
use registry::push::{BlobPush, PushOptions, push_blob, put_manifest};

impl Engine {
    /// `push`: the image tagged `typed` to the registry its name points at. `say` receives
    /// Docker's progress lines, for the front end to print.
    pub fn push(&self, typed: &str, say: &mut dyn FnMut(String)) -> Result<()> {
        push(self.paths(), typed, say)
    }
}

fn push(paths: &Paths, typed: &str, say: &mut dyn FnMut(String)) -> Result<()> {
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
    say(format!(
        "The push refers to repository [{}/{}]",
        dest.registry, dest.repository
    ));
    let options = PushOptions::default();
    let upload = |descriptor: &Descriptor| {
        push_blob(
            &client,
            &endpoint,
            &dest.repository,
            &store,
            descriptor,
            &options,
        )
        .map_err(credentials::explain)
    };
    // Docker lists the top layer first; the order of uploads does not matter to a registry.
    for layer in manifest.layers.iter().rev() {
        let what = match upload(layer)? {
            BlobPush::Existed => "Layer already exists",
            BlobPush::Mounted => "Mounted from another repository",
            BlobPush::Uploaded { .. } => "Pushed",
        };
        say(format!(
            "{}: {what}",
            registry::progress::short_id(&layer.digest)
        ));
    }
    upload(&manifest.config)?;
    put_manifest(
        &client,
        &endpoint,
        &dest,
        &bytes,
        &media_type,
        &digest.to_string(),
    )
    .map_err(credentials::explain)?;
    say(format!(
        "{}: digest: {digest} size: {}",
        dest.tag.as_deref().unwrap_or("latest"),
        bytes.len()
    ));
    let name = dest.familiar();
    let event = Event::now("image", "push", &name, &[("name", name.as_str())]);
    super::events::emit(paths, event);
    Ok(())
}
