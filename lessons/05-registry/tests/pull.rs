//! Pulling from Debian's real `docker-registry`, with images put there by `skopeo`.

mod common;

use common::*;
use harness::registry::proxy::CuttingProxy;
use harness::registry::{Auth, Registry};
use images::store::Store;
use registry::manifest::Platform;
use registry::pull::{PullOptions, pull};

fn options() -> PullOptions {
    PullOptions {
        progress: false,
        ..PullOptions::default()
    }
}

#[test]
fn pull_stores_every_blob_verified_and_tags_the_manifest() {
    let registry = Registry::start(Auth::None);
    let manifest = push_busybox(&registry, "lab/busybox:v1");
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();
    let reference = reference(&registry.host(), "lab/busybox:v1");

    let pulled = pull(&client(), &store, &reference, &options()).unwrap();

    assert_eq!(
        pulled.manifest.to_string(),
        manifest,
        "the digest skopeo pushed"
    );
    assert_eq!(pulled.downloaded, 3, "two layers and a config");
    let tagged = store
        .resolve(&format!("{}/lab/busybox:v1", registry.host()))
        .unwrap();
    assert_eq!(tagged.to_string(), manifest);
    let stored = store.manifest(&tagged).unwrap();
    for layer in stored.layers() {
        let digest = images::digest::Digest::from_oci(layer.digest()).unwrap();
        assert_eq!(store.blob_size(&digest).unwrap(), layer.size());
    }
}

#[test]
fn second_pull_skips_blobs_already_in_the_store() {
    let registry = Registry::start(Auth::None);
    push_busybox(&registry, "lab/busybox:v1");
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();
    let reference = reference(&registry.host(), "lab/busybox:v1");
    pull(&client(), &store, &reference, &options()).unwrap();

    let again = pull(&client(), &store, &reference, &options()).unwrap();

    assert_eq!((again.downloaded, again.skipped), (0, 3));
}

#[test]
fn index_resolves_to_the_requested_platform() {
    let registry = Registry::start(Auth::None);
    let (index, amd64, arm64) = push_multi_platform(&registry, "lab/multi:1");
    let reference = reference(&registry.host(), "lab/multi:1");
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();

    let default = pull(&client(), &store, &reference, &options()).unwrap();
    let arm = PullOptions {
        platform: Platform::parse("linux/arm64/v8").unwrap(),
        ..options()
    };
    let chosen = pull(&client(), &store, &reference, &arm).unwrap();

    assert_eq!(default.index.as_deref(), Some(index.as_str()));
    assert_eq!(
        default.manifest.to_string(),
        amd64,
        "linux/amd64 is this machine's platform"
    );
    assert_eq!(chosen.manifest.to_string(), arm64);
    let config = store.manifest(&chosen.manifest).unwrap().config().clone();
    let config = store
        .read_blob(
            &images::digest::Digest::from_oci(config.digest()).unwrap(),
            1 << 20,
        )
        .unwrap();
    assert!(String::from_utf8_lossy(&config).contains(r#""architecture":"arm64""#));

    let s390x = PullOptions {
        platform: Platform::parse("linux/s390x").unwrap(),
        ..options()
    };
    let err = pull(&client(), &store, &reference, &s390x).unwrap_err();
    assert!(
        err.to_string()
            .contains("available: linux/amd64, linux/arm64/v8"),
        "{err}"
    );
}

#[test]
fn corrupt_blob_is_rejected_and_leaves_the_store_unchanged() {
    let registry = Registry::start(Auth::None);
    let manifest = push_busybox(&registry, "lab/busybox:v1");
    // Flip one byte of the second layer inside the registry's own storage.
    let endpoint = &client()
        .config()
        .endpoints(&reference(&registry.host(), "lab/busybox:v1"))[0];
    let fetched =
        registry::manifest::fetch_manifest(&client(), endpoint, "lab/busybox", &manifest).unwrap();
    let layout: serde_json::Value = serde_json::from_slice(&fetched.bytes).unwrap();
    let layer = layout["layers"][1]["digest"].as_str().unwrap().to_string();
    let data = registry.blob_data_path(&layer);
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();

    let err = pull(
        &client(),
        &store,
        &reference(&registry.host(), "lab/busybox:v1"),
        &options(),
    )
    .unwrap_err();

    assert!(
        matches!(err, registry::Error::DigestMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&layer), "{err}");
    let layer_digest = layer.parse().unwrap();
    assert!(
        !store.has_blob(&layer_digest),
        "the corrupt blob is not in the store"
    );
    assert!(store.tags().unwrap().is_empty(), "nothing tagged");
    let leftovers: Vec<String> = store_files(&store)
        .into_iter()
        .filter(|f| f.starts_with("tmp/"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
}

#[test]
fn interrupted_download_resumes_with_a_range_request() {
    let registry = Registry::start(Auth::None);
    let manifest = push_big(&registry, "lab/big:1", 4 << 20);
    let proxy = CuttingProxy::start(registry.port(), 1 << 20);
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();
    let one_at_a_time = PullOptions {
        jobs: 1,
        ..options()
    };

    let pulled = pull(
        &client(),
        &store,
        &reference(&proxy.host(), "lab/big:1"),
        &one_at_a_time,
    )
    .unwrap();

    assert_eq!(proxy.cuts(), 1, "the proxy cut one blob download");
    assert_eq!(pulled.resumed, 1, "the client continued it");
    assert!(
        proxy
            .requests()
            .iter()
            .any(|r| r.to_ascii_lowercase().contains("range: bytes=")),
        "a Range request was sent"
    );
    assert_eq!(pulled.manifest.to_string(), manifest);
    let m = store.manifest(&pulled.manifest).unwrap();
    let big = images::digest::Digest::from_oci(m.layers()[0].digest()).unwrap();
    let mut reader = store.open_blob(&big).unwrap();
    std::io::copy(&mut reader, &mut std::io::sink()).expect("stored blob verifies");
}

#[test]
fn missing_tag_is_reported_as_not_found() {
    let registry = Registry::start(Auth::None);
    push_busybox(&registry, "lab/busybox:v1");
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();

    let err = pull(
        &client(),
        &store,
        &reference(&registry.host(), "lab/busybox:nope"),
        &options(),
    )
    .unwrap_err();

    assert!(matches!(err, registry::Error::NotFound { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("manifest lab/busybox:nope not found"),
        "{err}"
    );
}
