//! `pull`: manifest → platform → config and layers in parallel → manifest → tag.
//!
//! The order matters for consistency: blobs first, the manifest only when every blob it names is
//! stored and verified, the tag last. A pull that fails half-way leaves verified blobs (which
//! the next pull skips) but never a tag pointing at an incomplete image.

use std::sync::Mutex;

use images::digest::Digest;
use images::store::Store;

use crate::blob::{Fetch, fetch_blob};
use crate::client::Client;
use crate::config::Endpoint;
use crate::error::Error;
use crate::manifest::{Descriptor, Fetched, Manifest, Platform, fetch_manifest, select_platform};
use crate::progress::Progress;
use crate::reference::Reference;

/// Choices for a pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Which image to take from a multi-platform index (default: this machine's).
    pub platform: Platform,
    /// How many blobs to download at once (Docker's `max-concurrent-downloads`, default 3).
    pub jobs: usize,
    /// Draw progress bars (only if stderr is a terminal).
    pub progress: bool,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            platform: Platform::host(),
            jobs: 3,
            progress: true,
        }
    }
}

/// What a pull did.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The image manifest now in the store (and tagged with the reference).
    pub manifest: Digest,
    /// The index it was chosen from, for a multi-platform image.
    pub index: Option<String>,
    /// Where it came from (a mirror or the registry itself).
    pub endpoint: Endpoint,
    /// Blobs downloaded (config included).
    pub downloaded: usize,
    /// Blobs that were already in the store.
    pub skipped: usize,
    /// Transfers continued with a `Range` request after the connection broke.
    pub resumed: u32,
}

/// Pulls `reference` into `store` and tags it there with its full name.
pub fn pull(
    client: &Client,
    store: &Store,
    reference: &Reference,
    options: &PullOptions,
) -> Result<Pulled, Error> {
    let (endpoint, first) = fetch_from_any_endpoint(client, reference)?;
    let repository = &reference.repository;
    let (index, image) = match &first.manifest {
        Manifest::Image(_) => (None, first),
        Manifest::Index(index) => {
            let chosen = select_platform(index, &options.platform, &reference.to_string())?;
            let image = fetch_manifest(client, &endpoint, repository, &chosen.digest)?;
            (Some(first.digest.clone()), image)
        }
    };
    let Manifest::Image(manifest) = &image.manifest else {
        return Err(Error::UnsupportedMediaType {
            media_type: image.media_type.clone(),
            what: "a platform entry that is itself an index".into(),
        });
    };
    let mut blobs: Vec<&Descriptor> = manifest.layers.iter().collect();
    blobs.push(&manifest.config);
    let outcome = download_all(client, &endpoint, repository, &blobs, store, options)?;
    let digest = store.put_manifest(&image.bytes, Some(&image.media_type))?;
    if reference.tag.is_some() {
        store.tag(&reference.to_string(), &digest)?;
    }
    Ok(Pulled {
        manifest: digest,
        index,
        endpoint,
        downloaded: outcome.downloaded,
        skipped: outcome.skipped,
        resumed: outcome.resumed,
    })
}

/// Tries the mirrors, then the registry; a mirror failing for any reason is skipped (as Docker
/// does), the registry's own error is reported.
fn fetch_from_any_endpoint(
    client: &Client,
    reference: &Reference,
) -> Result<(Endpoint, Fetched), Error> {
    let endpoints = client.config().endpoints(reference);
    let last = endpoints.len() - 1;
    for (i, endpoint) in endpoints.into_iter().enumerate() {
        match fetch_manifest(client, &endpoint, &reference.repository, reference.target()) {
            Ok(fetched) => return Ok((endpoint, fetched)),
            Err(e) if i == last => return Err(e),
            Err(_) => continue,
        }
    }
    unreachable!("every reference has at least one endpoint")
}

#[derive(Default)]
struct Outcome {
    downloaded: usize,
    skipped: usize,
    resumed: u32,
}

/// Downloads `blobs` with `options.jobs` threads taking work from a shared queue; the first
/// error stops the others from starting new blobs and is returned.
fn download_all(
    client: &Client,
    endpoint: &Endpoint,
    repository: &str,
    blobs: &[&Descriptor],
    store: &Store,
    options: &PullOptions,
) -> Result<Outcome, Error> {
    let progress = Progress::new(options.progress);
    let queue = Mutex::new(blobs.iter());
    let outcome = Mutex::new(Ok(Outcome::default()));
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let Some(descriptor) = queue.lock().unwrap().next() else {
                        return;
                    };
                    if outcome.lock().unwrap().is_err() {
                        return;
                    }
                    let bar = progress.blob(&descriptor.digest, descriptor.size);
                    bar.set_message("Downloading");
                    let result =
                        fetch_blob(client, endpoint, repository, descriptor, store, &|n| {
                            bar.set_position(n)
                        });
                    let mut outcome = outcome.lock().unwrap();
                    match (result, outcome.as_mut()) {
                        (Ok(Fetch::AlreadyExists), Ok(o)) => {
                            o.skipped += 1;
                            bar.finish_with_message("Already exists");
                        }
                        (Ok(Fetch::Downloaded { resumed, .. }), Ok(o)) => {
                            o.downloaded += 1;
                            o.resumed += resumed;
                            bar.finish_with_message("Pull complete");
                        }
                        (Err(e), Ok(_)) => {
                            bar.abandon_with_message("Failed");
                            *outcome = Err(e);
                        }
                        (_, Err(_)) => bar.abandon(),
                    }
                }
            });
        }
    });
    outcome.into_inner().unwrap()
}
