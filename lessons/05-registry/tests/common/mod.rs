//! Shared arrangements for the registry tests: test images pushed into a real registry.
#![allow(dead_code)]

use harness::registry::Registry;
use harness::registry::image::{OCI_LAYER_TAR, OciLayout, busybox_layer, noise, tar_layer};
use registry::auth::CredentialStore;
use registry::config::Config;
use registry::{Client, Reference};

/// A single-platform busybox image (2 layers) pushed to `registry` as `repo:tag`; returns the
/// manifest digest.
pub fn push_busybox(registry: &Registry, repo_tag: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = OciLayout::new(dir.path());
    let hello = tar_layer(&[("etc/motd", b"hello from the lab registry\n", 0o644)]);
    let image = layout.image("amd64", None, &[busybox_layer(), hello], OCI_LAYER_TAR);
    let source = layout.name("v1", &image);
    registry.push_with_skopeo(&source, repo_tag, false);
    image["digest"].as_str().unwrap().to_string()
}

/// An image whose single layer is `size` bytes of noise (so a transfer takes many reads).
pub fn push_big(registry: &Registry, repo_tag: &str, size: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = OciLayout::new(dir.path());
    let layer = tar_layer(&[("noise.bin", &noise(size, 7), 0o644)]);
    let image = layout.image("amd64", None, &[layer], OCI_LAYER_TAR);
    let source = layout.name("v1", &image);
    registry.push_with_skopeo(&source, repo_tag, false);
    image["digest"].as_str().unwrap().to_string()
}

/// A two-platform index (linux/amd64 and linux/arm64/v8), each image with an `/etc/arch` file
/// naming its platform; returns (index digest, amd64 manifest digest, arm64 manifest digest).
pub fn push_multi_platform(registry: &Registry, repo_tag: &str) -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = OciLayout::new(dir.path());
    let amd = layout.image(
        "amd64",
        None,
        &[tar_layer(&[("etc/arch", b"amd64\n", 0o644)])],
        OCI_LAYER_TAR,
    );
    let arm = layout.image(
        "arm64",
        Some("v8"),
        &[tar_layer(&[("etc/arch", b"arm64\n", 0o644)])],
        OCI_LAYER_TAR,
    );
    let index = layout.index(&[amd.clone(), arm.clone()]);
    let source = layout.name("multi", &index);
    registry.push_with_skopeo(&source, repo_tag, true);
    let digest = |v: &serde_json::Value| v["digest"].as_str().unwrap().to_string();
    (digest(&index), digest(&amd), digest(&arm))
}

/// A client with no saved logins (never reads the user's credentials file).
pub fn client() -> Client {
    Client::new(Config::default(), CredentialStore::default())
}

/// `host/repo:tag` parsed.
pub fn reference(host: &str, name: &str) -> Reference {
    Reference::parse(&format!("{host}/{name}")).unwrap()
}

/// Every file name under the store's `blobs/sha256` and `tmp` directories, sorted.
pub fn store_files(store: &images::store::Store) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["blobs/sha256", "tmp"] {
        if let Ok(entries) = std::fs::read_dir(store.root().join(sub)) {
            for e in entries.flatten() {
                out.push(format!("{sub}/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    out.sort();
    out
}

/// Runs skopeo with `args` (TLS verification off: every registry here is plain HTTP on
/// loopback) and returns its stdout.
pub fn skopeo(args: &[&str]) -> Vec<u8> {
    harness::registry::run(std::process::Command::new("skopeo").args(args))
}

/// The sha256 digest of the manifest skopeo fetches for `docker://…` (raw bytes, unconverted).
pub fn skopeo_manifest_digest(image: &str, creds: Option<&str>) -> String {
    let mut args = vec!["inspect", "--raw", "--tls-verify=false"];
    if let Some(creds) = creds {
        args.extend(["--creds", creds]);
    }
    args.push(image);
    registry::manifest::sha256_digest(&skopeo(&args))
}

/// Pulls `name` from `host` into a fresh store in `dir`.
pub fn pulled_store(
    dir: &std::path::Path,
    host: &str,
    name: &str,
) -> (images::store::Store, registry::pull::Pulled) {
    let store = images::store::Store::open(dir).unwrap();
    let options = registry::pull::PullOptions {
        progress: false,
        ..Default::default()
    };
    let pulled = registry::pull::pull(&client(), &store, &reference(host, name), &options).unwrap();
    (store, pulled)
}
