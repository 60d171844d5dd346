//! Our registry server, checked by `skopeo` and by copying to and from `docker-registry`.

mod common;

use common::*;
use harness::registry::image::{OCI_LAYER_TAR, OciLayout, busybox_layer};
use harness::registry::proxy::CuttingProxy;
use harness::registry::{Auth, Registry};
use registry::manifest::Platform;
use registry::pull::{PullOptions, pull};
use registry::push::{PushOptions, push};
use registry::server::RegistryServer;

fn serve() -> (RegistryServer, tempfile::TempDir, String) {
    let root = tempfile::tempdir().unwrap();
    let server = RegistryServer::start("127.0.0.1:0", root.path()).unwrap();
    let host = server.addr().to_string();
    (server, root, host)
}

#[test]
fn skopeo_pushes_to_our_server_and_pulls_back_the_same_image() {
    let (_server, _root, host) = serve();
    let dir = tempfile::tempdir().unwrap();
    let mut layout = OciLayout::new(dir.path());
    let image = layout.image("amd64", None, &[busybox_layer()], OCI_LAYER_TAR);
    let source = layout.name("v1", &image);
    let dest = format!("docker://{host}/lab/busybox:v1");

    skopeo(&[
        "copy",
        "--quiet",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &source,
        &dest,
    ]);
    let out = tempfile::tempdir().unwrap();
    let back = format!("oci:{}:v1", out.path().display());
    skopeo(&[
        "copy",
        "--quiet",
        "--preserve-digests",
        "--src-tls-verify=false",
        &dest,
        &back,
    ]);
    let tags = skopeo(&[
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{host}/lab/busybox"),
    ]);

    assert_eq!(
        skopeo_manifest_digest(&dest, None),
        image["digest"].as_str().unwrap()
    );
    let index = std::fs::read_to_string(out.path().join("index.json")).unwrap();
    assert!(index.contains(image["digest"].as_str().unwrap()), "{index}");
    let tags: serde_json::Value = serde_json::from_slice(&tags).unwrap();
    assert_eq!(tags["Tags"], serde_json::json!(["v1"]));
}

#[test]
fn multi_platform_index_copies_between_docker_registry_and_ours() {
    let reference_registry = Registry::start(Auth::None);
    let (index, _amd64, arm64) = push_multi_platform(&reference_registry, "lab/multi:1");
    let (_server, _root, host) = serve();
    let theirs = format!("docker://{}/lab/multi:1", reference_registry.host());
    let ours = format!("docker://{host}/lab/multi:1");
    let back = format!("docker://{}/lab/multi:back", reference_registry.host());

    let copy = |from: &str, to: &str| {
        skopeo(&[
            "copy",
            "--quiet",
            "--all",
            "--preserve-digests",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            from,
            to,
        ]);
    };
    copy(&theirs, &ours);
    copy(&ours, &back);

    assert_eq!(skopeo_manifest_digest(&ours, None), index);
    assert_eq!(skopeo_manifest_digest(&back, None), index);
    let store_dir = tempfile::tempdir().unwrap();
    let store = images::store::Store::open(store_dir.path()).unwrap();
    let arm = PullOptions {
        platform: Platform::parse("linux/arm64").unwrap(),
        progress: false,
        ..Default::default()
    };
    let pulled = pull(&client(), &store, &reference(&host, "lab/multi:1"), &arm).unwrap();
    assert_eq!(pulled.manifest.to_string(), arm64);
}

#[test]
fn our_client_pushes_in_chunks_to_our_server_and_resumes_a_broken_pull() {
    let source = Registry::start(Auth::None);
    let manifest = push_big(&source, "lab/big:1", 2 << 20);
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = pulled_store(dir.path(), &source.host(), "lab/big:1");
    let (server, _root, host) = serve();
    let local = format!("{}/lab/big:1", source.host());
    let chunked = PushOptions {
        chunk_size: Some(512 * 1024),
        ..Default::default()
    };

    push(
        &client(),
        &store,
        &local,
        &reference(&host, "class/big:1"),
        &chunked,
    )
    .unwrap();
    let proxy = CuttingProxy::start(server.addr().port(), 700 * 1024);
    let fresh = tempfile::tempdir().unwrap();
    let (_, pulled) = pulled_store(fresh.path(), &proxy.host(), "class/big:1");

    assert_eq!(pulled.manifest.to_string(), manifest);
    assert_eq!(
        (proxy.cuts(), pulled.resumed),
        (1, 1),
        "cut once, resumed once with Range"
    );
    assert_eq!(
        skopeo_manifest_digest(&format!("docker://{host}/class/big:1"), None),
        manifest
    );
}

#[test]
fn manifest_naming_a_missing_blob_is_refused() {
    let (_server, _root, host) = serve();
    let client = client();
    let endpoint = &client.config().endpoints(&reference(&host, "lab/x:1"))[0];
    let missing = format!("sha256:{}", "0".repeat(64));
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": registry::manifest::OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": missing, "size": 2},
        "layers": []
    })
    .to_string();
    let url = format!("{}/v2/lab/x/manifests/1", endpoint.base);
    let headers = [("Content-Type", registry::manifest::OCI_MANIFEST)];

    let mut response = client
        .send(
            endpoint,
            "PUT",
            &url,
            &headers,
            registry::client::Body::Bytes(manifest.as_bytes()),
            "",
        )
        .unwrap();

    assert_eq!(response.status().as_u16(), 400);
    assert!(registry::client::error_detail(&mut response).contains("MANIFEST_BLOB_UNKNOWN"));
}
