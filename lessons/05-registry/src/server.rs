//! A small registry server: the pull and push endpoints of the OCI distribution spec, plus
//! tags list and catalog, storing into lesson 04's layout — enough to be a classroom registry
//! (`docker pull`, `skopeo`, `podman` and our own client all speak to it).
//!
//! It listens on a TCP socket (socket(2), bind(2), listen(2) via `tiny_http`), and answers each
//! request on one of a few worker threads. No authentication and no TLS: run it on a trusted
//! network and list it in the clients' `insecure-registries`.

mod blobs;
mod guard;
mod repos;

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tiny_http::{Header, Method, Request, Response, Server};

use repos::PutError;
pub use repos::Repos;

use crate::error::Error;
use crate::reference::{is_path_component, validate_digest, validate_tag};

/// A running registry server; stops when dropped.
pub struct RegistryServer {
    server: Arc<Server>,
    workers: Vec<std::thread::JoinHandle<()>>,
    front: SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl RegistryServer {
    /// Listens on `addr` (`127.0.0.1:0` picks a free port) and serves `root` with 8 workers.
    pub fn start(addr: &str, root: &Path) -> Result<RegistryServer, Error> {
        RegistryServer::start_with_log(addr, root, false)
    }

    /// Like [`RegistryServer::start`]; with `access_log`, prints `METHOD URL → STATUS` per request.
    pub fn start_with_log(
        addr: &str,
        root: &Path,
        access_log: bool,
    ) -> Result<RegistryServer, Error> {
        let repos = Arc::new(Repos::open(root)?);
        let listen_error =
            |e: &dyn std::fmt::Display| Error::Invalid(format!("cannot listen on {addr}: {e}"));
        let front = std::net::TcpListener::bind(addr).map_err(|e| listen_error(&e))?;
        let server = Server::http("127.0.0.1:0").map_err(|e| listen_error(&e))?;
        let server = Arc::new(server);
        let inner = server.server_addr().to_ip().expect("an IP listener");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let front_addr = front.local_addr().map_err(|e| listen_error(&e))?;
        guard::spawn(front, inner, stop.clone());
        let workers = (0..8)
            .map(|_| {
                let (server, repos) = (server.clone(), repos.clone());
                std::thread::spawn(move || {
                    while let Ok(request) = server.recv() {
                        handle(&repos, request, access_log);
                    }
                })
            })
            .collect();
        Ok(RegistryServer {
            server,
            workers,
            front: front_addr,
            stop,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.front
    }

    /// Serves until the process is killed.
    pub fn wait(mut self) {
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for RegistryServer {
    fn drop(&mut self) {
        guard::stop(&self.stop, self.front);
        for _ in &self.workers {
            self.server.unblock();
        }
    }
}

/// What a route names.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Base,
    Catalog,
    Tags(&'a str),
    Manifest(&'a str, &'a str),
    Blob(&'a str, &'a str),
    UploadStart(&'a str),
    Upload(&'a str, &'a str),
}

/// Maps a request path to a route; repository names may contain `/`, so match from the right.
fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/v2/")?;
    let valid = |name: &str| name.split('/').all(is_path_component);
    // A manifest reference becomes a file name under `tags/`: only a tag or a digest, never
    // `../../../../../etc/x` (which once wrote outside the root; fuzz target `registry_request`).
    let reference_ok = |r: &str| validate_tag(r).is_ok() || validate_digest(r).is_ok();
    let found = if rest.is_empty() {
        Route::Base
    } else if rest == "_catalog" {
        Route::Catalog
    } else if let Some(name) = rest.strip_suffix("/tags/list") {
        Route::Tags(name)
    } else if let Some(name) = rest
        .strip_suffix("/blobs/uploads/")
        .or(rest.strip_suffix("/blobs/uploads"))
    {
        Route::UploadStart(name)
    } else if let Some((name, id)) = rest.rsplit_once("/blobs/uploads/") {
        Route::Upload(name, id)
    } else if let Some((name, reference)) = rest.rsplit_once("/manifests/") {
        Route::Manifest(name, reference)
    } else if let Some((name, digest)) = rest.rsplit_once("/blobs/") {
        Route::Blob(name, digest)
    } else {
        return None;
    };
    match found {
        Route::Tags(n)
        | Route::UploadStart(n)
        | Route::Upload(n, _)
        | Route::Manifest(n, _)
        | Route::Blob(n, _)
            if !valid(n) =>
        {
            None
        }
        Route::Manifest(_, reference) if !reference_ok(reference) => None,
        route => Some(route),
    }
}

/// A reply of the registry: status, headers and a body to stream.
pub type Reply = Response<Box<dyn Read + Send>>;

fn handle(repos: &Repos, mut request: Request, access_log: bool) {
    let url = request.url().to_string();
    let method = request.method().clone();
    let headers = request.headers().to_vec();
    let reply = answer(repos, &method, &url, &headers, request.as_reader());
    // Read what is left of the body, so the next request on this keep-alive connection
    // starts where the client thinks it does.
    let _ = std::io::copy(&mut request.as_reader().take(1 << 20), &mut std::io::sink());
    if access_log {
        eprintln!("{method} {url} → {}", reply.status_code().0);
    }
    let _ = request.respond(reply);
}

/// Answers one request (method, URL with its query, headers, body) from `repos`: what the
/// server does for each request it reads off a socket, callable without one (the fuzz target
/// `registry_request` drives it directly).
pub fn answer(
    repos: &Repos,
    method: &Method,
    url: &str,
    headers: &[Header],
    body: &mut dyn Read,
) -> Reply {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let reply = match route(path) {
        None => error(
            404,
            "NAME_INVALID",
            "no such endpoint, or an invalid repository name, tag or digest",
        ),
        Some(route) => dispatch(repos, method, route, query, headers, body),
    };
    reply.with_header(header("Docker-Distribution-API-Version", "registry/2.0"))
}

fn dispatch(
    repos: &Repos,
    method: &Method,
    route: Route<'_>,
    query: &str,
    headers: &[Header],
    body: &mut dyn Read,
) -> Reply {
    use Method::*;
    match (method, route) {
        (Get | Head, Route::Base) => json(200, "{}".into()),
        (Get, Route::Catalog) => json(
            200,
            serde_json::json!({ "repositories": repos.catalog() }).to_string(),
        ),
        (Get, Route::Tags(name)) => match repos.tags(name) {
            Some(tags) => json(
                200,
                serde_json::json!({ "name": name, "tags": tags }).to_string(),
            ),
            None => error(404, "NAME_UNKNOWN", "repository name not known to registry"),
        },
        (Get | Head, Route::Manifest(name, reference)) => match repos.manifest(name, reference) {
            Some((digest, media_type, bytes)) => Response::from_data(bytes)
                .with_header(header("Content-Type", &media_type))
                .with_header(header("Docker-Content-Digest", &digest.to_string()))
                .boxed(),
            None => error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
        },
        (Put, Route::Manifest(name, reference)) => {
            put_manifest(repos, name, reference, headers, body)
        }
        (Get | Head, Route::Blob(_, digest)) => blobs::get_blob(repos, digest, headers),
        (Post, Route::UploadStart(name)) => blobs::start_upload(repos, name, query, headers, body),
        (Patch, Route::Upload(name, id)) => blobs::append(repos, name, id, headers, body, None),
        (Put, Route::Upload(name, id)) => {
            let digest = Some(query_param(query, "digest"));
            blobs::append(repos, name, id, headers, body, digest)
        }
        _ => error(405, "UNSUPPORTED", "the operation is unsupported"),
    }
}

fn put_manifest(
    repos: &Repos,
    name: &str,
    reference: &str,
    headers: &[Header],
    body: &mut dyn Read,
) -> Reply {
    let content_type = request_header(headers, "Content-Type");
    let mut bytes = Vec::new();
    let limit = images::store::MAX_DOCUMENT;
    if body.take(limit + 1).read_to_end(&mut bytes).is_err() || bytes.len() as u64 > limit {
        return error(
            400,
            "MANIFEST_INVALID",
            "manifest unreadable or larger than 4 MiB",
        );
    }
    match repos.put_manifest(name, reference, &bytes, content_type.as_deref()) {
        Ok(digest) => Response::empty(201)
            .with_header(header(
                "Location",
                &format!("/v2/{name}/manifests/{digest}"),
            ))
            .with_header(header("Docker-Content-Digest", &digest.to_string()))
            .boxed(),
        Err(PutError::Invalid(why)) => error(400, "MANIFEST_INVALID", &why),
        Err(PutError::BlobUnknown(d)) => {
            error(400, "MANIFEST_BLOB_UNKNOWN", &format!("blob unknown: {d}"))
        }
        Err(PutError::Store(e)) => error(500, "UNKNOWN", &e.to_string()),
    }
}

pub(crate) fn json(status: u16, body: String) -> Reply {
    Response::from_string(body)
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"))
        .boxed()
}

/// The spec's error body: `{"errors": [{"code": …, "message": …}]}`.
pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
    json(
        status,
        serde_json::json!({ "errors": [{ "code": code, "message": message }] }).to_string(),
    )
}

pub(crate) fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

pub(crate) fn request_header(headers: &[Header], name: &'static str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.to_string())
}

/// A query parameter, percent-decoded enough for digests (`sha256%3A…`).
pub(crate) fn query_param(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| {
            v.replace("%3A", ":")
                .replace("%3a", ":")
                .replace("%2F", "/")
                .replace("%2f", "/")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_from_the_right_so_names_may_have_slashes() {
        assert_eq!(route("/v2/"), Some(Route::Base));
        assert_eq!(
            route("/v2/a/b/c/manifests/v1"),
            Some(Route::Manifest("a/b/c", "v1"))
        );
        assert_eq!(
            route("/v2/a/blobs/sha256:00"),
            Some(Route::Blob("a", "sha256:00"))
        );
        assert_eq!(
            route("/v2/a/b/blobs/uploads/"),
            Some(Route::UploadStart("a/b"))
        );
        assert_eq!(
            route("/v2/a/blobs/uploads/u-1"),
            Some(Route::Upload("a", "u-1"))
        );
        assert_eq!(route("/v2/a/tags/list"), Some(Route::Tags("a")));
        assert_eq!(route("/v2/UPPER/tags/list"), None);
        assert_eq!(route("/v2/a/manifests/../../../../../x"), None);
        assert_eq!(route("/v2/a/manifests/sha256:00"), None);
        assert_eq!(route("/v1/x"), None);
    }
}
