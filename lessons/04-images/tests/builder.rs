//! `ImageBuilder` as `docker commit` and `docker build` use it: a directory (an overlay upper
//! dir, whiteouts and all) becomes a layer on top of a base image whose config survives whole,
//! through the same tar → digest → gzip path as a tar stream.

use std::fs;
use std::io::Read;
use std::path::Path;

use images::build::{write_dir_layer, write_tar_layer};
use images::demo::LayerTar;
use images::runconfig::Settings;
use images::{ApplyOptions, ImageBuilder, ImportOptions, Store};
use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use serde_json::json;

/// An overlay upper dir: a new file, and a whiteout (a 0/0 character device) hiding `etc/motd`.
fn upper_dir(dir: &Path) {
    fs::create_dir_all(dir.join("etc")).unwrap();
    fs::write(dir.join("added"), "from the container\n").unwrap();
    mknod(
        &dir.join("etc/motd"),
        SFlag::S_IFCHR,
        Mode::empty(),
        makedev(0, 0),
    )
    .unwrap();
}

#[test]
fn a_directory_layer_on_a_base_hides_whiteouts_and_keeps_every_config_field() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let mut base = ImageBuilder::new(&store);
    let files = LayerTar::new()
        .dir("etc", 0o755, 0)
        .unwrap()
        .file("etc/motd", b"hello\n", 0o644)
        .unwrap()
        .file("etc/keep", b"kept\n", 0o644)
        .unwrap();
    base.add_layer(&files.finish().unwrap()[..]).unwrap();
    base.config_mut()
        .set("Healthcheck", json!({ "Test": ["CMD", "true"] }));
    let base = base
        .commit("lab/base:1", &ImportOptions::default())
        .unwrap();

    let upper = tmp.path().join("upper");
    upper_dir(&upper);
    let mut next = ImageBuilder::from_image(&store, &base);
    let blob = next.add_dir_layer(&upper).unwrap();
    next.config_mut().set_settings(&Settings {
        cmd: vec!["cat".into(), "/added".into()],
        env: vec!["A=1".into()],
        ..Settings::default()
    });
    next.config_mut().set_created("2026-12-05T00:00:00Z");
    next.config_mut().add_history("commit", false);
    let image = next.store().unwrap();

    // The config: the base's unmodelled field, the new settings, both diff IDs, the history.
    assert_eq!(image.config_json["config"]["Healthcheck"]["Test"][0], "CMD");
    assert_eq!(image.config_json["config"]["Cmd"], json!(["cat", "/added"]));
    let diff_ids = image.config.rootfs().diff_ids();
    assert_eq!(diff_ids.len(), 2);
    assert_eq!(diff_ids[1], blob.diff_id.to_string());
    let history = image.config_json["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["created_by"], "commit");
    assert_eq!(history.last().unwrap()["created"], "2026-12-05T00:00:00Z");
    // The blob is stored under its digest, and verifies when read back.
    let mut bytes = Vec::new();
    store
        .open_blob(&blob.digest)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes.len() as u64, blob.size);

    // Unpacked whole, the whiteout hides the base's file.
    let root = tmp.path().join("root");
    store
        .unpack_flat(&image, &root, &ApplyOptions::default())
        .unwrap();
    assert_eq!(
        fs::read_to_string(root.join("added")).unwrap(),
        "from the container\n"
    );
    assert_eq!(fs::read_to_string(root.join("etc/keep")).unwrap(), "kept\n");
    assert!(!root.join("etc/motd").exists(), "whited out");
}

#[test]
fn a_directory_and_the_same_tar_stream_make_the_same_layer_blob() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("store")).unwrap();
    let upper = tmp.path().join("upper");
    upper_dir(&upper);
    let mut tar = Vec::new();
    overlay::layer::write_layer(&upper, &mut tar).unwrap();
    let from_dir = write_dir_layer(&store, &upper).unwrap();
    let from_stream = write_tar_layer(&store, &tar[..]).unwrap();
    assert_eq!(from_dir, from_stream);
    assert_eq!(from_dir.diff_id, images::Digest::of(&tar));
}
