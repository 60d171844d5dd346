//! Blobs: streamed from the registry straight into the store, verified on the fly, resumed.
//!
//! `GET /v2/<name>/blobs/<digest>` returns the bytes (often via a redirect to a CDN). They go
//! into lesson 04's [`BlobWriter`](images::store::BlobWriter), which hashes while it writes and
//! only renames the file into `blobs/sha256/` when the sha256 equals the digest we asked for.
//! A corrupt blob therefore never becomes visible.
//!
//! When the connection breaks mid-blob, we ask again with `Range: bytes=<received>-`: a
//! registry that supports ranges answers `206 Partial Content` and we append; one that answers
//! `200` sends everything again, so we drop the partial file and start over.

use std::io::{self, Read, Write};

use images::digest::Digest;
use images::store::Store;

use crate::client::{Body, Client, status_error};
use crate::config::Endpoint;
use crate::error::Error;
use crate::manifest::Descriptor;

/// How a blob ended up in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// It was already there: nothing downloaded (Docker's "Already exists").
    AlreadyExists,
    /// Downloaded and verified; `resumed` counts the times a broken transfer was continued.
    Downloaded {
        /// How many `Range` requests continued a broken transfer.
        resumed: u32,
        /// How many times the transfer had to start again from byte 0.
        restarted: u32,
    },
}

/// How many times one blob's transfer may break before we give up.
pub const MAX_INTERRUPTIONS: u32 = 5;

/// Parses a descriptor's digest into the store's type.
pub fn store_digest(digest: &str) -> Result<Digest, Error> {
    digest
        .parse()
        .map_err(|_| Error::Invalid(format!("invalid digest {digest:?} in a manifest")))
}

/// Downloads the blob `descriptor` of `repository` into `store`, verifying its sha256 and size,
/// resuming after interruptions. `progress` is called with the bytes received so far.
pub fn fetch_blob(
    client: &Client,
    endpoint: &Endpoint,
    repository: &str,
    descriptor: &Descriptor,
    store: &Store,
    progress: &dyn Fn(u64),
) -> Result<Fetch, Error> {
    let expected = store_digest(&descriptor.digest)?;
    if store.has_blob(&expected) {
        return Ok(Fetch::AlreadyExists);
    }
    let url = format!(
        "{}/v2/{repository}/blobs/{}",
        endpoint.base, descriptor.digest
    );
    let what = format!("blob {}", descriptor.digest);
    let scope = format!("repository:{repository}:pull");
    let mut writer = store.blob_writer()?;
    let (mut resumed, mut restarted, mut interruptions) = (0, 0, 0);
    loop {
        let offset = writer.written().1;
        let range = format!("bytes={offset}-");
        let headers: &[(&str, &str)] = if offset > 0 {
            &[("Range", &range)]
        } else {
            &[]
        };
        let attempt = client.send(endpoint, "GET", &url, headers, Body::Empty, &scope);
        let mut response = match attempt {
            Ok(response) => response,
            Err(Error::Connect { .. }) if interruptions < MAX_INTERRUPTIONS => {
                interruptions += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        match response.status().as_u16() {
            206 if offset > 0 && content_range_start(&response) == Some(offset) => resumed += 1,
            200 if offset == 0 => {}
            // A full answer to a range request (or a range we did not ask for): start over.
            200 | 206 => {
                writer = store.blob_writer()?;
                restarted += 1;
                if response.status().as_u16() == 206 {
                    continue;
                }
            }
            _ => return Err(status_error(endpoint, response, &url, &what, "pull")),
        }
        // Never accept more than the descriptor promised: a hostile server could stream forever.
        let start = writer.written().1;
        let remaining = descriptor.size.saturating_sub(start) + 1;
        let mut body = response.body_mut().as_reader().take(remaining);
        let copied = copy_with_progress(&mut body, &mut writer, start, progress);
        let short = writer.written().1 < descriptor.size;
        match copied {
            Ok(()) if !short => break,
            _ if interruptions < MAX_INTERRUPTIONS => interruptions += 1,
            // Out of retries: commit below reports the short blob as a size mismatch.
            Ok(()) => break,
            Err(source) => {
                return Err(Error::Io {
                    path: url.clone().into(),
                    source,
                });
            }
        }
    }
    writer
        .commit(&expected, Some(descriptor.size))
        .map_err(|e| match e {
            images::Error::DigestMismatch { actual_size, .. } if actual_size != descriptor.size => {
                Error::SizeMismatch {
                    what: what.clone(),
                    expected: descriptor.size,
                    actual: actual_size,
                }
            }
            images::Error::DigestMismatch { actual, .. } => Error::DigestMismatch {
                what: what.clone(),
                expected: descriptor.digest.clone(),
                actual: actual.to_string(),
            },
            other => Error::Store(other),
        })?;
    Ok(Fetch::Downloaded { resumed, restarted })
}

/// The first byte of a `Content-Range: bytes <start>-<end>/<total>` answer.
fn content_range_start(response: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    let value = response.headers().get("content-range")?.to_str().ok()?;
    value
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// Copies `reader` into `writer` in 256 KiB chunks, reporting the running total from `start`.
fn copy_with_progress(
    reader: &mut impl Read,
    writer: &mut impl Write,
    start: u64,
    progress: &dyn Fn(u64),
) -> io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = start;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        writer.write_all(&buf[..n])?;
        total += n as u64;
        progress(total);
    }
}
