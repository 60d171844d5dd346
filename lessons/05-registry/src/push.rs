//! `push`: each blob unless the registry has it, then the manifest under a tag.
//!
//! ```text
//! HEAD  /v2/<name>/blobs/<digest>                      200: already there, skip it
//! POST  /v2/<name>/blobs/uploads/[?mount=<d>&from=<repo>]   201: mounted from another repo
//!                                                      202: Location = upload session
//! PUT   <location>?digest=<d>   (whole blob)           201: monolithic upload done
//!   or  PATCH <location> Content-Range: a-b  (repeat)  202: chunk stored, new Location
//!       PUT   <location>?digest=<d>  (empty)           201: chunked upload done
//! PUT   /v2/<name>/manifests/<tag>                     201: Docker-Content-Digest
//! ```
//! The registry checks each blob's digest on the final PUT, just as our pull does.

use std::io::Read;

use images::store::{MAX_DOCUMENT, Store};

use crate::blob::store_digest;
use crate::client::{Body, Client, absolute_url, status_error};
use crate::config::Endpoint;
use crate::error::Error;
use crate::manifest::{Descriptor, Manifest, parse};
use crate::reference::Reference;

/// Choices for a push.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Upload in `PATCH` chunks of this many bytes instead of one `PUT`.
    pub chunk_size: Option<usize>,
    /// Ask the registry to mount blobs from this repository (same registry) instead of uploading.
    pub mount_from: Option<String>,
}

/// How one blob got to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobPush {
    /// `HEAD` said it was there already.
    Existed,
    /// Linked from another repository without sending bytes.
    Mounted,
    /// Uploaded (in `chunks` requests; 1 for monolithic).
    Uploaded {
        /// Number of requests that carried bytes.
        chunks: usize,
    },
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The manifest digest the registry confirmed.
    pub manifest: String,
    /// Per blob (layers, then config): what happened.
    pub blobs: Vec<(String, BlobPush)>,
}

/// Pushes the image `local` (a tag or digest in `store`) to `dest`.
pub fn push(
    client: &Client,
    store: &Store,
    local: &str,
    dest: &Reference,
    options: &PushOptions,
) -> Result<Pushed, Error> {
    let digest = store.resolve(local)?;
    let bytes = store.read_blob(&digest, MAX_DOCUMENT)?;
    let (media_type, manifest) = parse(&bytes, None, &format!("manifest {digest}"))?;
    let Manifest::Image(manifest) = manifest else {
        return Err(Error::Invalid(format!(
            "{local} is an index: push its platform images one by one"
        )));
    };
    // Pushes never go to a mirror: the last endpoint is the registry itself.
    let endpoint = client
        .config()
        .endpoints(dest)
        .pop()
        .expect("at least one endpoint");
    let mut blobs = Vec::new();
    for descriptor in manifest.layers.iter().chain([&manifest.config]) {
        let how = push_blob(
            client,
            &endpoint,
            &dest.repository,
            store,
            descriptor,
            options,
        )?;
        blobs.push((descriptor.digest.clone(), how));
    }
    put_manifest(
        client,
        &endpoint,
        dest,
        &bytes,
        &media_type,
        &digest.to_string(),
    )?;
    Ok(Pushed {
        manifest: digest.to_string(),
        blobs,
    })
}

/// Publishes a manifest under `dest`'s tag (or its digest when it has no tag) with
/// `PUT /v2/<name>/manifests/<tag>`, once every blob it names is in the registry; checks the
/// digest the registry confirms in `Docker-Content-Digest` against `digest`.
pub fn put_manifest(
    client: &Client,
    endpoint: &Endpoint,
    dest: &Reference,
    bytes: &[u8],
    media_type: &str,
    digest: &str,
) -> Result<(), Error> {
    let target = dest.tag.as_deref().unwrap_or(digest).to_string();
    let url = format!(
        "{}/v2/{}/manifests/{target}",
        endpoint.base, dest.repository
    );
    let headers = [("Content-Type", media_type)];
    let response = client.send(
        endpoint,
        "PUT",
        &url,
        &headers,
        Body::Bytes(bytes),
        &push_scope(dest),
    )?;
    if response.status().as_u16() != 201 {
        return Err(status_error(
            endpoint,
            response,
            &url,
            &format!("repository {}", dest.repository),
            "push",
        ));
    }
    let confirmed = response
        .headers()
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok());
    if let Some(confirmed) = confirmed.filter(|d| *d != digest) {
        return Err(Error::DigestMismatch {
            what: url,
            expected: digest.to_string(),
            actual: confirmed.into(),
        });
    }
    Ok(())
}

fn push_scope(dest: &Reference) -> String {
    format!("repository:{}:pull,push", dest.repository)
}

/// Sends one blob unless the registry has it or can mount it.
pub fn push_blob(
    client: &Client,
    endpoint: &Endpoint,
    repository: &str,
    store: &Store,
    descriptor: &Descriptor,
    options: &PushOptions,
) -> Result<BlobPush, Error> {
    let scope = format!("repository:{repository}:pull,push");
    let what = format!("blob {}", descriptor.digest);
    let blob_url = format!(
        "{}/v2/{repository}/blobs/{}",
        endpoint.base, descriptor.digest
    );
    let head = client.send(endpoint, "HEAD", &blob_url, &[], Body::Empty, &scope)?;
    match head.status().as_u16() {
        200 => return Ok(BlobPush::Existed),
        404 => {}
        _ => return Err(status_error(endpoint, head, &blob_url, &what, "push")),
    }
    let mut start = format!("{}/v2/{repository}/blobs/uploads/", endpoint.base);
    if let Some(from) = &options.mount_from {
        start.push_str(&format!("?mount={}&from={from}", descriptor.digest));
    }
    let response = client.send(endpoint, "POST", &start, &[], Body::Empty, &scope)?;
    let mut location = match response.status().as_u16() {
        201 => return Ok(BlobPush::Mounted),
        202 => upload_location(&response, &start)?,
        _ => return Err(status_error(endpoint, response, &start, &what, "push")),
    };
    let mut reader = store.open_blob(&store_digest(&descriptor.digest)?)?;
    let octets = [("Content-Type", "application/octet-stream")];
    let finish = |location: &str| with_query(location, &format!("digest={}", descriptor.digest));
    let chunks = match options.chunk_size {
        None => {
            let url = finish(&location);
            let body = Body::Stream(&mut reader, descriptor.size);
            let response = client.send(endpoint, "PUT", &url, &octets, body, &scope)?;
            expect(endpoint, response, 201, &url, &what)?;
            1
        }
        Some(size) => {
            let (mut offset, mut chunks, mut chunk) = (0u64, 0, vec![0u8; size.max(1)]);
            loop {
                let n = read_full(&mut reader, &mut chunk).map_err(|source| Error::Io {
                    path: what.clone().into(),
                    source,
                })?;
                if n == 0 {
                    break;
                }
                let range = format!("{offset}-{}", offset + n as u64 - 1);
                let headers = [octets[0], ("Content-Range", range.as_str())];
                let response = client.send(
                    endpoint,
                    "PATCH",
                    &location,
                    &headers,
                    Body::Bytes(&chunk[..n]),
                    &scope,
                )?;
                let response = expect(endpoint, response, 202, &location, &what)?;
                location = upload_location(&response, &location)?;
                offset += n as u64;
                chunks += 1;
            }
            let url = finish(&location);
            let response = client.send(endpoint, "PUT", &url, &[], Body::Empty, &scope)?;
            expect(endpoint, response, 201, &url, &what)?;
            chunks
        }
    };
    Ok(BlobPush::Uploaded { chunks })
}

/// The upload session URL from a `Location` header (relative ones resolved against `current`).
fn upload_location(
    response: &ureq::http::Response<ureq::Body>,
    current: &str,
) -> Result<String, Error> {
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok());
    let location = location.ok_or_else(|| Error::Status {
        status: response.status().as_u16(),
        url: current.into(),
        detail: "upload answer without a Location header".into(),
    })?;
    Ok(absolute_url(current, location))
}

fn expect(
    endpoint: &Endpoint,
    response: ureq::http::Response<ureq::Body>,
    status: u16,
    url: &str,
    what: &str,
) -> Result<ureq::http::Response<ureq::Body>, Error> {
    if response.status().as_u16() == status {
        Ok(response)
    } else {
        Err(status_error(endpoint, response, url, what, "push"))
    }
}

/// Appends `param` to `url`'s query (upload URLs often carry `?_state=…` already).
fn with_query(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
