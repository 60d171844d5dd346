//! `push NAME[:TAG]`: an image from the store to its registry, over lesson 05's client (the
//! OCI distribution spec's blob uploads and manifest PUT). The CLI prints Docker's lines from
//! the steps it reports; the API daemon streams them as Docker's JSON progress.
//!
//! Layers first (each `HEAD` to skip what the registry has, else `POST` + `PUT`), then the
//! config blob, and the manifest last: a registry never holds a tag whose blobs are missing.
//! Pushes go to the registry named in the reference, never to a mirror.

use super::Engine;
use super::events::Event;
use crate::store::credentials;
use crate::{Error, Result};
use images::store::MAX_DOCUMENT;
use registry::Reference;
use registry::auth::Login;
use registry::manifest::{Manifest, parse};
use registry::push::{BlobPush, PushOptions, push_blob, put_manifest};

/// A step of a push, reported as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStep {
    /// Before any upload: the `REGISTRY/REPOSITORY` the push goes to.
    Repository(String),
    /// One layer done: its short id (12 hex digits) and Docker's word for what happened
    /// (`Pushed`, `Layer already exists`, `Mounted from another repository`).
    Layer {
        /// The layer's short id.
        short_id: String,
        /// Docker's status for it.
        status: &'static str,
    },
}

impl PushStep {
    /// The line Docker prints for this step (`The push refers to repository [R]`,
    /// `5f70bf18a086: Pushed`).
    pub fn docker_line(&self) -> String {
        match self {
            PushStep::Repository(repository) => {
                format!("The push refers to repository [{repository}]")
            }
            PushStep::Layer { short_id, status } => format!("{short_id}: {status}"),
        }
    }
}

/// A finished push: where it went and the manifest the registry now serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `REGISTRY/REPOSITORY`.
    pub repository: String,
    /// The tag pushed.
    pub tag: String,
    /// The manifest's digest (`sha256:…`): what `pull NAME@DIGEST` asks for.
    pub digest: String,
    /// The manifest's size in bytes.
    pub size: usize,
}

impl Engine {
    /// Pushes the image tagged `typed`; `say` hears the repository, then each layer as it is
    /// done (top layer first, as Docker lists them). Refuses digests and multi-platform
    /// indexes. `login`, if given, is used for the registry instead of a saved one.
    pub fn push(
        &self,
        typed: &str,
        login: Option<&Login>,
        say: &mut dyn FnMut(PushStep),
    ) -> Result<Pushed> {
        let dest = Reference::parse(typed)?;
        if dest.digest.is_some() {
            return Err(Error::invalid(
                "image",
                typed,
                "push a tag (`NAME:TAG`), not a digest",
            ));
        }
        let store = self.paths.store()?;
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
        let client = credentials::client_with(&self.paths, &dest.registry, login)?;
        // The last endpoint is the registry itself (the ones before it are pull mirrors).
        let endpoint = client
            .config()
            .endpoints(&dest)
            .pop()
            .expect("a reference has at least one endpoint");
        let repository = format!("{}/{}", dest.registry, dest.repository);
        say(PushStep::Repository(repository.clone()));
        let options = PushOptions::default();
        let blob = |descriptor| {
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
        for descriptor in manifest.layers.iter().rev() {
            let status = match blob(descriptor)? {
                BlobPush::Existed => "Layer already exists",
                BlobPush::Mounted => "Mounted from another repository",
                BlobPush::Uploaded { .. } => "Pushed",
            };
            say(PushStep::Layer {
                short_id: registry::progress::short_id(&descriptor.digest).to_string(),
                status,
            });
        }
        blob(&manifest.config)?;
        put_manifest(
            &client,
            &endpoint,
            &dest,
            &bytes,
            &media_type,
            &digest.to_string(),
        )
        .map_err(credentials::explain)?;
        let name = dest.familiar();
        let event = Event::now("image", "push", &name, &[("name", name.as_str())]);
        super::events::emit(&self.paths, event);
        Ok(Pushed {
            repository,
            tag: dest.tag.clone().unwrap_or_else(|| "latest".into()),
            digest: digest.to_string(),
            size: bytes.len(),
        })
    }
}

impl Pushed {
    /// The line Docker prints last: `TAG: digest: sha256:… size: N`.
    pub fn docker_line(&self) -> String {
        format!("{}: digest: {} size: {}", self.tag, self.digest, self.size)
    }
}
