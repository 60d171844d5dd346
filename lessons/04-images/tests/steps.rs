//! Each step run as a program (as a student runs it), with its effect checked on disk or in
//! the container's output — not just its wording.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use images::{Digest, Store};

/// Runs a step with its working directory in a fresh temporary directory.
fn step(bin: &str, args: &[&str]) -> (tempfile::TempDir, String, i32) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .args(args)
        .env("LAB04_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || !args.is_empty(),
        "{bin} failed ({code}):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, stdout, code)
}

fn blob_files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn anatomy_writes_a_layout_whose_blob_names_are_their_hashes() {
    let (dir, out, _) = step(env!("CARGO_BIN_EXE_01-anatomy"), &[]);
    let layout = dir.path().join("layout");
    assert!(layout.join("oci-layout").is_file() && layout.join("index.json").is_file());
    let blobs = blob_files(&layout.join("blobs/sha256"));
    assert_eq!(blobs.len(), 5, "manifest + config + 3 layers");
    for b in blobs {
        let name = b.file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(Digest::of(&fs::read(&b).unwrap()).hex(), name);
    }
    assert!(out.contains("application/vnd.oci.image.manifest.v1+json"));
    assert_eq!(out.matches("name matches content").count(), 5);
}

#[test]
fn tamper_is_detected_and_leaves_no_bad_blob_tag_or_layer() {
    let (dir, out, _) = step(env!("CARGO_BIN_EXE_02-tamper"), &[]);
    assert!(
        out.contains("load rejected") && out.contains("unpack rejected"),
        "{out}"
    );
    let store = Store::open(dir.path().join("store")).unwrap();
    let image = store.image("lab/demo:latest").unwrap();
    let fresh = Store::open(dir.path().join("fresh-store")).unwrap();
    assert!(
        !fresh.has_blob(&image.layers[0].digest),
        "the tampered blob never entered"
    );
    assert!(fresh.tags().unwrap().is_empty(), "nothing was tagged");
    assert_eq!(
        blob_files(&store.layers_dir()).len(),
        0,
        "no half-unpacked layer"
    );
    assert_eq!(
        blob_files(&store.root().join("tmp")).len(),
        0,
        "no temporary left"
    );
}

#[test]
fn applying_layers_one_by_one_honours_whiteouts_and_opaque_dirs() {
    let (dir, out, _) = step(env!("CARGO_BIN_EXE_03-apply-layers"), &[]);
    let rootfs = dir.path().join("rootfs");
    assert!(rootfs.join("bin/busybox").is_file());
    assert!(!rootfs.join("etc/motd").exists(), "whited out by layer 3");
    let app: Vec<_> = fs::read_dir(rootfs.join("opt/app"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        app,
        vec![std::ffi::OsString::from("new")],
        "opaque: only layer 3's file"
    );
    assert!(
        out.contains("/etc: group motd passwd"),
        "motd existed after layer 2:\n{out}"
    );
}

#[test]
fn images_sharing_a_base_share_unpacked_layers_by_chain_id() {
    let (dir, out, _) = step(env!("CARGO_BIN_EXE_04-chain-ids"), &[]);
    let store = Store::open(dir.path().join("store")).unwrap();
    let demo = store.image("lab/demo:latest").unwrap();
    let plus = store.image("lab/demo-plus:latest").unwrap();
    let lonely = store.image("lab/lonely:latest").unwrap();
    for i in 0..3 {
        assert_eq!(demo.layers[i].chain_id, plus.layers[i].chain_id);
    }
    assert_eq!(lonely.layers[0].diff_id, demo.layers[2].diff_id);
    assert_ne!(lonely.layers[0].chain_id, demo.layers[2].chain_id);
    assert_eq!(
        blob_files(&store.layers_dir()).len(),
        5,
        "3 shared + 1 + 1, not 8"
    );
    assert!(out.contains("share 3 unpacked layer directories"), "{out}");
}

#[test]
fn imported_directory_reads_back_identically_and_survives_save_and_load() {
    let (dir, out, _) = step(env!("CARGO_BIN_EXE_05-import"), &[]);
    assert!(
        out.contains("identical names/types/modes/owners: true"),
        "{out}"
    );
    let a = Store::open(dir.path().join("store"))
        .unwrap()
        .image("lab/imported:v1")
        .unwrap();
    let b = Store::open(dir.path().join("other-store"))
        .unwrap()
        .image("lab/imported:v1")
        .unwrap();
    assert_eq!(
        a.config_digest, b.config_digest,
        "same image ID after save → load"
    );
    assert!(dir.path().join("read-back/bin/busybox").is_file());
}

#[test]
fn container_runs_with_the_image_configs_env_cmd_workdir_and_user() {
    let (dir, out, _) = step(env!("CARGO_BIN_EXE_06-run"), &[]);
    assert!(
        out.contains("\nhello from the image config\n"),
        "Env + Entrypoint + Cmd:\n{out}"
    );
    assert!(
        out.contains("\nuid=1000 gid=1000\n"),
        "User student:\n{out}"
    );
    assert!(out.contains("\ncwd=/home/student\n"), "WorkingDir:\n{out}");
    assert!(out.contains("exit code 0"));
    let merged = dir.path().join("merged");
    assert!(!merged.join("bin").exists(), "the overlay was unmounted");
}

#[test]
fn container_arguments_replace_cmd_and_see_the_merged_layers() {
    let (_dir, out, code) = step(
        env!("CARGO_BIN_EXE_06-run"),
        &["ls /opt/app; test -e /etc/motd || echo motd-gone; exit 3"],
    );
    assert!(out.contains("\nnew\nmotd-gone\n"), "{out}");
    assert_eq!(code, 3, "the container's exit code is the step's");
}
