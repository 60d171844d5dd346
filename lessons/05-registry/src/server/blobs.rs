//! Blob endpoints: downloads (with `Range`, so clients can resume) and uploads (one `POST`
//! with `?digest=`, or `POST` → `PATCH`… → `PUT ?digest=`, or a cross-repository mount).
//! Upload bytes go straight into a lesson 04 `BlobWriter`, which hashes them as they arrive and
//! makes the blob visible only if the final digest matches.

use std::io::Read;

use tiny_http::{Header, Response};

use super::{Reply, Repos, error, header, query_param, request_header};

/// Serves a blob, honouring `Range: bytes=N-` (so clients can resume) with `206`.
pub(super) fn get_blob(repos: &Repos, digest: &str, headers: &[Header]) -> Reply {
    let Ok(d) = digest.parse::<images::digest::Digest>() else {
        return error(
            400,
            "DIGEST_INVALID",
            "provided digest did not match uploaded content",
        );
    };
    let path = repos.store.blob_path(&d);
    let Ok(mut file) = std::fs::File::open(&path) else {
        return error(404, "BLOB_UNKNOWN", "blob unknown to registry");
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = request_header(headers, "Range")
        .and_then(|r| {
            r.strip_prefix("bytes=")?
                .split('-')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .filter(|&s| s < size);
    let mut headers = vec![
        header("Content-Type", "application/octet-stream"),
        header("Docker-Content-Digest", digest),
        header("Accept-Ranges", "bytes"),
    ];
    let status = match start {
        Some(start) => {
            use std::io::Seek;
            if file.seek(std::io::SeekFrom::Start(start)).is_err() {
                return error(500, "UNKNOWN", "cannot seek blob");
            }
            headers.push(header(
                "Content-Range",
                &format!("bytes {start}-{}/{size}", size - 1),
            ));
            206
        }
        None => 200,
    };
    let len = size - start.unwrap_or(0);
    Response::new(
        status.into(),
        headers,
        Box::new(file) as Box<dyn Read + Send>,
        Some(len as usize),
        None,
    )
}

pub(super) fn start_upload(
    repos: &Repos,
    name: &str,
    query: &str,
    headers: &[Header],
    body: &mut dyn Read,
) -> Reply {
    let mount = query_param(query, "mount");
    let mountable = mount
        .as_deref()
        .and_then(|m| m.parse::<images::digest::Digest>().ok());
    if let Some(d) = mountable.filter(|d| repos.store.has_blob(d)) {
        return Response::empty(201)
            .with_header(header("Location", &format!("/v2/{name}/blobs/{d}")))
            .with_header(header("Docker-Content-Digest", &d.to_string()))
            .boxed();
    }
    let id = match repos.start_upload() {
        Ok(id) => id,
        Err(e) => return error(500, "UNKNOWN", &e.to_string()),
    };
    // A POST with ?digest= is a whole upload in one request.
    if let Some(digest) = query_param(query, "digest") {
        return append(repos, name, &id, headers, body, Some(Some(digest)));
    }
    upload_accepted(name, &id, 0)
}

/// PATCH (`finish` = None) appends a chunk; PUT (`finish` = Some(digest)) appends the last
/// bytes and commits the blob if its sha256 is `digest`.
pub(super) fn append(
    repos: &Repos,
    name: &str,
    id: &str,
    headers: &[Header],
    body: &mut dyn Read,
    finish: Option<Option<String>>,
) -> Reply {
    let Some(mut writer) = repos.take_upload(id) else {
        return error(
            404,
            "BLOB_UPLOAD_UNKNOWN",
            "blob upload unknown to registry",
        );
    };
    let offset = writer.written().1;
    let range_start = request_header(headers, "Content-Range").and_then(|r| {
        r.trim_start_matches("bytes ")
            .split('-')
            .next()?
            .parse::<u64>()
            .ok()
    });
    if range_start.is_some_and(|s| s != offset) {
        repos.return_upload(id, writer);
        return error(
            416,
            "BLOB_UPLOAD_INVALID",
            &format!("chunk must start at {offset}"),
        );
    }
    if std::io::copy(body, &mut writer).is_err() {
        return error(
            400,
            "BLOB_UPLOAD_INVALID",
            "upload body broke off; start the upload again",
        );
    }
    match finish {
        None => {
            let size = writer.written().1;
            repos.return_upload(id, writer);
            upload_accepted(name, id, size)
        }
        Some(None) => error(400, "DIGEST_INVALID", "finishing an upload needs ?digest="),
        Some(Some(digest)) => {
            let Ok(expected) = digest.parse::<images::digest::Digest>() else {
                return error(400, "DIGEST_INVALID", "invalid digest");
            };
            match writer.commit(&expected, None) {
                Ok(d) => Response::empty(201)
                    .with_header(header("Location", &format!("/v2/{name}/blobs/{d}")))
                    .with_header(header("Docker-Content-Digest", &d.to_string()))
                    .boxed(),
                Err(_) => error(
                    400,
                    "DIGEST_INVALID",
                    "provided digest did not match uploaded content",
                ),
            }
        }
    }
}

fn upload_accepted(name: &str, id: &str, size: u64) -> Reply {
    Response::empty(202)
        .with_header(header(
            "Location",
            &format!("/v2/{name}/blobs/uploads/{id}"),
        ))
        .with_header(header("Range", &format!("0-{}", size.saturating_sub(1))))
        .with_header(header("Docker-Upload-UUID", id))
        .boxed()
}
