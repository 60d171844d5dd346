//! Names rejected with Docker's reasons; mirrors for Docker Hub names; redirects that must not
//! carry credentials to another host.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use harness::registry::{Auth, Registry};
use images::store::Store;
use registry::auth::{CredentialStore, Login};
use registry::blob::{Fetch, fetch_blob};
use registry::config::{Config, Endpoint};
use registry::manifest::{Descriptor, sha256_digest};
use registry::pull::{PullOptions, pull};
use registry::{Client, Reference};

#[test]
fn invalid_names_are_rejected_with_the_reason() {
    let bad = [
        "",
        "Alpine",
        "alpine:",
        "alpine:-x",
        "a..b",
        "UPPER.io:port/x",
        "alpine@sha256:abc",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ];
    let report: Vec<String> = bad
        .iter()
        .map(|n| format!("{n:?} → {}", Reference::parse(n).unwrap_err()))
        .collect();
    insta::assert_snapshot!(report.join("\n"), @r#"
    "" → invalid reference format: repository name must have at least one component
    "Alpine" → invalid reference format: repository name must be lowercase: "Alpine"
    "alpine:" → invalid tag format: "" must start with a letter, digit or '_', continue with letters, digits, '_', '.' or '-', and be at most 128 characters
    "alpine:-x" → invalid tag format: "-x" must start with a letter, digit or '_', continue with letters, digits, '_', '.' or '-', and be at most 128 characters
    "a..b" → invalid reference format: path component "a..b" in "a..b" must be lower-case letters and digits, joined by one '.', one or two '_', or '-'s
    "UPPER.io:port/x" → invalid reference format: registry "UPPER.io:port" is not a valid host[:port]
    "alpine@sha256:abc" → invalid digest format: "sha256:abc" must be sha256: followed by 64 lower-case hex digits
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" → invalid repository name (0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef), cannot specify 64-byte hexadecimal strings: use `name@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef` to pull by digest
    "#);
}

#[test]
fn a_mirror_serves_docker_hub_names() {
    let mirror = Registry::start(Auth::None);
    let manifest = push_busybox(&mirror, "library/busybox:latest");
    let config = Config {
        mirrors: vec![format!("http://{}", mirror.host())],
        insecure: vec![],
    };
    let client = Client::new(config, CredentialStore::default());
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();
    let options = PullOptions {
        progress: false,
        ..PullOptions::default()
    };

    let pulled = pull(
        &client,
        &store,
        &Reference::parse("busybox").unwrap(),
        &options,
    )
    .unwrap();

    assert!(pulled.endpoint.mirror);
    assert_eq!(pulled.endpoint.base, format!("http://{}", mirror.host()));
    assert_eq!(pulled.manifest.to_string(), manifest);
    assert_eq!(
        store
            .resolve("docker.io/library/busybox:latest")
            .unwrap()
            .to_string(),
        manifest
    );
}

/// The `Authorization` headers a server saw, in order.
type Seen = Arc<Mutex<Vec<Option<String>>>>;

/// A registry front that wants Basic credentials and redirects blobs to a "CDN" on another
/// port (another host, as far as the client can tell); both record the Authorization they see.
fn redirecting_pair(blob: Vec<u8>) -> (String, Seen, Seen) {
    let front = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let cdn = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let cdn_addr = cdn.server_addr().to_ip().unwrap();
    let (front_seen, cdn_seen) = (
        Arc::new(Mutex::new(Vec::new())),
        Arc::new(Mutex::new(Vec::new())),
    );
    let auth_of = |r: &tiny_http::Request| {
        r.headers()
            .iter()
            .find(|h| h.field.equiv("Authorization"))
            .map(|h| h.value.to_string())
    };
    let (f, seen) = (front.clone(), front_seen.clone());
    std::thread::spawn(move || {
        for request in f.incoming_requests() {
            let auth = auth_of(&request);
            seen.lock().unwrap().push(auth.clone());
            let response = if auth.is_none() {
                let h = tiny_http::Header::from_bytes("WWW-Authenticate", r#"Basic realm="lab""#)
                    .unwrap();
                tiny_http::Response::empty(401).with_header(h)
            } else {
                let to = format!("http://{cdn_addr}/cdn{}", request.url());
                tiny_http::Response::empty(307)
                    .with_header(tiny_http::Header::from_bytes("Location", to).unwrap())
            };
            let _ = request.respond(response);
        }
    });
    let (c, seen) = (cdn.clone(), cdn_seen.clone());
    std::thread::spawn(move || {
        for request in c.incoming_requests() {
            seen.lock().unwrap().push(auth_of(&request));
            let _ = request.respond(tiny_http::Response::from_data(blob.clone()));
        }
    });
    (
        front.server_addr().to_ip().unwrap().to_string(),
        front_seen,
        cdn_seen,
    )
}

#[test]
fn redirects_are_followed_without_sending_credentials_to_another_host() {
    let blob = b"layer bytes served by a CDN".to_vec();
    let (front, front_seen, cdn_seen) = redirecting_pair(blob.clone());
    let mut client = Client::anonymous();
    client.set_login(
        &front,
        &Login {
            username: "student".into(),
            password: "s3cret".into(),
        },
    );
    let endpoint = Endpoint {
        registry: front.clone(),
        base: format!("http://{front}"),
        mirror: false,
    };
    let descriptor = Descriptor {
        media_type: "application/vnd.oci.image.layer.v1.tar".into(),
        digest: sha256_digest(&blob),
        size: blob.len() as u64,
        platform: None,
        annotations: None,
    };
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();

    let fetched = fetch_blob(&client, &endpoint, "lab/app", &descriptor, &store, &|_| {}).unwrap();

    assert!(matches!(fetched, Fetch::Downloaded { .. }));
    let front_seen = front_seen.lock().unwrap().clone();
    assert_eq!(
        front_seen.first(),
        Some(&None),
        "first try without credentials → 401 challenge"
    );
    assert!(
        front_seen
            .last()
            .unwrap()
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic ")),
        "{front_seen:?}"
    );
    assert_eq!(
        *cdn_seen.lock().unwrap(),
        vec![None],
        "the CDN never sees the registry credentials"
    );
}

/// A server that answers each request with the next status of `statuses` (the last repeats).
fn scripted(statuses: Vec<u16>) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let addr = server.server_addr().to_ip().unwrap().to_string();
    std::thread::spawn(move || {
        for (i, request) in server.incoming_requests().enumerate() {
            let status = statuses[i.min(statuses.len() - 1)];
            let body = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
            let _ =
                request.respond(tiny_http::Response::from_string(body).with_status_code(status));
        }
    });
    addr
}

#[test]
fn server_errors_are_retried_and_rate_limits_explained() {
    let flaky = scripted(vec![503, 502, 200]);
    let limited = scripted(vec![429]);
    let mut client = Client::anonymous();
    client.backoff = std::time::Duration::from_millis(1);
    let fetch = |host: &str| {
        let reference = reference(host, "lab/app:1");
        let endpoint = &client.config().endpoints(&reference)[0];
        registry::manifest::fetch_manifest(&client, endpoint, "lab/app", "1")
    };

    let recovered = fetch(&flaky);
    let err = fetch(&limited).unwrap_err();

    assert!(
        recovered.is_ok(),
        "two 5xx answers, then success: {recovered:?}"
    );
    assert!(matches!(err, registry::Error::RateLimited { .. }), "{err}");
    let message = err.to_string().replace(&limited, "HOST");
    insta::assert_snapshot!(message, @"rate limited by HOST (HTTP 429): log in for a higher limit, or pull through a classroom mirror (`registry-mirrors` in the registry config)");
}

#[test]
fn a_server_that_ignores_range_makes_the_client_start_over_cleanly() {
    // A blob server that always answers 200 with the whole blob, behind a proxy that cuts the
    // first answer half-way: the client's Range request gets a full answer, so it must drop
    // what it had and start again, never appending the whole blob to the partial one.
    let blob = harness::registry::image::noise(1 << 20, 3);
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let body = blob.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let _ = request.respond(tiny_http::Response::from_data(body.clone()));
        }
    });
    let proxy = harness::registry::proxy::CuttingProxy::start(port, 300 * 1024);
    let endpoint = Endpoint {
        registry: proxy.host(),
        base: format!("http://{}", proxy.host()),
        mirror: false,
    };
    let descriptor = Descriptor {
        media_type: "application/octet-stream".into(),
        digest: sha256_digest(&blob),
        size: blob.len() as u64,
        platform: None,
        annotations: None,
    };
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();

    let fetched = fetch_blob(
        &Client::anonymous(),
        &endpoint,
        "lab/app",
        &descriptor,
        &store,
        &|_| {},
    )
    .unwrap();

    assert_eq!(
        fetched,
        Fetch::Downloaded {
            resumed: 0,
            restarted: 1
        }
    );
    assert_eq!(proxy.cuts(), 1);
    let stored = std::fs::read(store.blob_path(&descriptor.digest.parse().unwrap())).unwrap();
    assert_eq!(stored, blob);
    let hex = descriptor.digest.trim_start_matches("sha256:");
    assert_eq!(
        store_files(&store),
        [format!("blobs/sha256/{hex}")],
        "the blob, and no partial file left"
    );
}
