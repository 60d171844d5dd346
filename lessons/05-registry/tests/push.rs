//! Pushing to Debian's real `docker-registry`, checked with `skopeo`.

mod common;

use common::*;
use harness::registry::{Auth, Registry};
use registry::auth::Login;
use registry::push::{BlobPush, PushOptions, push};

#[test]
fn monolithic_push_with_a_token_is_what_skopeo_reads_back() {
    let source = Registry::start(Auth::None);
    let manifest = push_busybox(&source, "lab/busybox:v1");
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = pulled_store(dir.path(), &source.host(), "lab/busybox:v1");
    let target = Registry::start(Auth::Token {
        user: "student".into(),
        password: "s3cret".into(),
    });
    let local = format!("{}/lab/busybox:v1", source.host());
    let dest = reference(&target.host(), "class/busybox:v1");

    let anonymous = push(&client(), &store, &local, &dest, &PushOptions::default()).unwrap_err();
    let mut client = client();
    client.set_login(
        &target.host(),
        &Login {
            username: "student".into(),
            password: "s3cret".into(),
        },
    );
    let pushed = push(&client, &store, &local, &dest, &PushOptions::default()).unwrap();

    assert!(
        matches!(
            anonymous,
            registry::Error::Unauthorized { .. } | registry::Error::Denied { .. }
        ),
        "anonymous users may only pull: {anonymous}"
    );
    assert_eq!(pushed.manifest, manifest);
    assert!(
        pushed
            .blobs
            .iter()
            .all(|(_, how)| *how == BlobPush::Uploaded { chunks: 1 })
    );
    let image = format!("docker://{}/class/busybox:v1", target.host());
    assert_eq!(
        skopeo_manifest_digest(&image, Some("student:s3cret")),
        manifest
    );
    let out = tempfile::tempdir().unwrap();
    let oci = format!("oci:{}:v1", out.path().display());
    skopeo(&[
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        "--src-creds",
        "student:s3cret",
        &image,
        &oci,
    ]);
}

#[test]
fn chunked_push_then_mount_then_nothing_to_send() {
    let registry = Registry::start(Auth::None);
    let manifest = push_big(&registry, "lab/big:1", 300 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = pulled_store(dir.path(), &registry.host(), "lab/big:1");
    let local = format!("{}/lab/big:1", registry.host());
    let chunked = PushOptions {
        chunk_size: Some(100 * 1024),
        ..PushOptions::default()
    };

    let first = push(
        &client(),
        &store,
        &local,
        &reference(&registry.host(), "team/a:1"),
        &chunked,
    )
    .unwrap();
    let mount = PushOptions {
        mount_from: Some("team/a".into()),
        ..PushOptions::default()
    };
    let second = push(
        &client(),
        &store,
        &local,
        &reference(&registry.host(), "team/b:1"),
        &mount,
    )
    .unwrap();
    let third = push(
        &client(),
        &store,
        &local,
        &reference(&registry.host(), "team/b:2"),
        &mount,
    )
    .unwrap();

    assert_eq!(
        first.blobs[0].1,
        BlobPush::Uploaded { chunks: 4 },
        "300 KiB layer + tar header in 100 KiB chunks"
    );
    assert!(
        second
            .blobs
            .iter()
            .all(|(_, how)| *how == BlobPush::Mounted),
        "{:?}",
        second.blobs
    );
    assert!(
        third.blobs.iter().all(|(_, how)| *how == BlobPush::Existed),
        "{:?}",
        third.blobs
    );
    for name in ["team/a:1", "team/b:1", "team/b:2"] {
        let image = format!("docker://{}/{name}", registry.host());
        assert_eq!(skopeo_manifest_digest(&image, None), manifest, "{name}");
    }
}
