//! The content-addressed store: blobs verified on the way in and out, tags, atomicity.

use std::fs;
use std::io::{Read, Write};

use images::{Digest, Error, Store};

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn committed_blob_is_stored_under_its_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let data = b"a layer, or a config, or a manifest";
    let expected = Digest::of(data);
    let mut w = store.blob_writer().unwrap();
    w.write_all(data).unwrap();
    let d = w.commit(&expected, Some(data.len() as u64)).unwrap();
    assert_eq!(d, expected);
    assert!(store.has_blob(&d));
    assert_eq!(
        fs::read(dir.path().join("blobs/sha256").join(d.hex())).unwrap(),
        data
    );
    assert!(
        entries(&dir.path().join("tmp")).is_empty(),
        "no temporary file left behind"
    );
}

#[test]
fn digest_or_size_mismatch_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let claimed = Digest::of(b"what the registry promised");
    let mut w = store.blob_writer().unwrap();
    w.write_all(b"what the registry sent").unwrap();
    let err = w.commit(&claimed, None).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");

    let right = Digest::of(b"abc");
    let mut w = store.blob_writer().unwrap();
    w.write_all(b"abc").unwrap();
    assert!(matches!(
        w.commit(&right, Some(4)),
        Err(Error::DigestMismatch { .. })
    ));

    assert!(entries(&dir.path().join("blobs/sha256")).is_empty());
    assert!(entries(&dir.path().join("tmp")).is_empty());
    assert!(!store.has_blob(&claimed) && !store.has_blob(&right));
}

#[test]
fn reading_a_tampered_blob_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let d = store.put_blob(b"{\"hello\": \"world\"}").unwrap();
    let path = store.blob_path(&d);
    let mut bytes = fs::read(&path).unwrap();
    bytes[3] ^= 0x20;
    fs::write(&path, bytes).unwrap();
    let mut r = store.open_blob(&d).unwrap();
    let err = r.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(store.read_blob(&d, 1024).is_err());
}

#[test]
fn manifest_needs_its_blobs_and_tags_resolve_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let cd = Digest::of(config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    let err = store.put_manifest(manifest.as_bytes(), None).unwrap_err();
    assert!(matches!(err, Error::MissingBlob(_)), "{err}");

    store.put_blob(config).unwrap();
    let md = store.put_manifest(manifest.as_bytes(), None).unwrap();
    store.tag("example.org/empty:1", &md).unwrap();
    assert_eq!(store.resolve("example.org/empty:1").unwrap(), md);
    assert_eq!(store.resolve(&md.to_string()).unwrap(), md);
    assert!(matches!(
        store.resolve("example.org/empty:2"),
        Err(Error::UnknownReference(_))
    ));
    let image = store.image("example.org/empty:1").unwrap();
    assert_eq!(image.config_digest, cd);
    assert!(store.untag("example.org/empty:1").unwrap());
    assert!(store.resolve("example.org/empty:1").is_err());
}

#[test]
fn concurrent_taggers_lose_no_tag() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let cd = store.put_blob(config).unwrap();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    let md = store.put_manifest(manifest.as_bytes(), None).unwrap();
    // Read-modify-write of tags.json without the flock would drop some of these.
    std::thread::scope(|s| {
        for t in 0..8 {
            let (store, md) = (store.clone(), md.clone());
            s.spawn(move || {
                for i in 0..10 {
                    store.tag(&format!("example.org/t{t}:v{i}"), &md).unwrap();
                }
            });
        }
    });
    assert_eq!(store.tags().unwrap().len(), 80);
}

#[test]
fn gc_removes_only_what_no_tag_reaches() {
    use images::{ImageBuilder, demo};
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let base = demo::demo_image(&store).unwrap();
    let mut b = ImageBuilder::from_image(&store, &base);
    b.add_layer(
        &demo::LayerTar::new()
            .file("extra", b"x", 0o644)
            .unwrap()
            .finish()
            .unwrap()[..],
    )
    .unwrap();
    let plus = b.commit("lab/plus:1", &demo::demo_config()).unwrap();
    store.unpack(&base).unwrap();
    store.unpack(&plus).unwrap();
    assert_eq!(entries(&store.layers_dir()).len(), 4);

    store.untag("lab/plus:1").unwrap();
    let young = store.gc(Duration::from_secs(3600)).unwrap();
    assert_eq!(
        young,
        images::gc::GcReport::default(),
        "a recent pull's blobs are kept"
    );

    let report = store.gc(Duration::ZERO).unwrap();
    assert_eq!(
        (report.blobs, report.layers),
        (3, 1),
        "plus's manifest, config, top layer"
    );
    assert!(store.image(demo::DEMO).is_ok(), "the base image is intact");
    assert_eq!(store.unpack(&base).unwrap().len(), 3);

    store.untag(demo::DEMO).unwrap();
    store.gc(Duration::ZERO).unwrap();
    assert!(entries(&dir.path().join("blobs/sha256")).is_empty());
    assert!(entries(&store.layers_dir()).is_empty());
}

#[test]
fn docker_schema2_manifest_is_accepted_and_unpacks_like_its_oci_twin() {
    use images::{ApplyOptions, demo};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let oci = demo::demo_image(&store).unwrap();
    // The same blobs, described with Docker's media types.
    let oci_bytes = store.read_blob(&oci.digest, 1 << 20).unwrap();
    let docker = String::from_utf8(oci_bytes)
        .unwrap()
        .replace(
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
        )
        .replace(
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json",
        )
        .replace(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        );
    let d = store
        .put_manifest(
            docker.as_bytes(),
            Some("application/vnd.docker.distribution.manifest.v2+json"),
        )
        .unwrap();
    assert_ne!(d, oci.digest);
    let image = store.image(&d.to_string()).unwrap();
    assert_eq!(image.config_digest, oci.config_digest);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    store
        .unpack_flat(&oci, &a, &ApplyOptions::default())
        .unwrap();
    store
        .unpack_flat(&image, &b, &ApplyOptions::default())
        .unwrap();
    assert_eq!(
        fs::read(a.join("bin/busybox")).unwrap(),
        fs::read(b.join("bin/busybox")).unwrap()
    );
    assert!(!b.join("etc/motd").exists());
}

#[test]
fn an_index_offered_as_a_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    let err = store.put_manifest(index, None).unwrap_err();
    assert!(
        err.to_string().contains("expected an image manifest"),
        "{err}"
    );
    let err = store
        .put_manifest(index, Some("application/vnd.oci.image.manifest.v1+json"))
        .unwrap_err();
    assert!(err.to_string().contains("declared as"), "{err}");
    assert!(entries(&dir.path().join("blobs/sha256")).is_empty());
}
