//! Each step binary, run as a student would, against a real `docker-registry`; every test
//! checks the effect (files in the store, what the registry holds), not just the printout.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::*;
use harness::registry::{Auth, Registry};

/// Runs a step with its own HOME-less settings (no user config or credentials are read).
fn step(bin: &str, args: &[&str], settings: &tempfile::TempDir) -> (bool, String) {
    let out = Command::new(bin)
        .args(args)
        .env("LAB_AUTH_FILE", settings.path().join("auth.json"))
        .env(
            "LAB_REGISTRY_CONFIG",
            settings.path().join("registries.json"),
        )
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Shown with `cargo test -- --nocapture`: what a student would see.
    eprintln!("$ {bin} {}\n{text}", args.join(" "));
    (out.status.success(), text)
}

#[test]
fn step_01_resolves_names_like_docker() {
    let settings = tempfile::tempdir().unwrap();
    let (ok, out) = step(
        env!("CARGO_BIN_EXE_01-resolve"),
        &["alpine", "Alpine", "localhost:5000/a/b:1"],
        &settings,
    );
    assert!(ok, "{out}");
    assert!(out.contains("→ docker.io/library/alpine:latest"), "{out}");
    assert!(
        out.contains("GET https://registry-1.docker.io/v2/library/alpine/manifests/latest"),
        "{out}"
    );
    assert!(
        out.contains("✗ invalid reference format: repository name must be lowercase"),
        "{out}"
    );
    assert!(
        out.contains("GET http://localhost:5000/v2/a/b/manifests/1"),
        "{out}"
    );
}

#[test]
fn step_02_gets_one_token_and_reuses_it() {
    let registry = Registry::start(Auth::Token {
        user: "student".into(),
        password: "s3cret".into(),
    });
    let settings = tempfile::tempdir().unwrap();
    let name = format!("{}/lab/busybox", registry.host());

    let (ok, out) = step(env!("CARGO_BIN_EXE_02-ping-token"), &[&name], &settings);

    assert!(ok, "{out}");
    assert!(out.contains("/v2/ → 401"), "{out}");
    assert!(
        out.contains(&format!(
            "challenge: Bearer realm={}",
            registry.issuer.as_ref().unwrap().realm()
        )),
        "{out}"
    );
    assert!(
        out.contains(r#""name": "lab/busybox""#),
        "the token grants this repository: {out}"
    );
    assert!(out.contains("1 token(s) fetched"), "{out}");
    assert_eq!(
        registry.issuer.as_ref().unwrap().issued(),
        1,
        "the token server was asked once"
    );
}

#[test]
fn step_03_picks_the_platform_from_an_index() {
    let registry = Registry::start(Auth::None);
    let (index, _, arm64) = push_multi_platform(&registry, "lab/multi:1");
    let settings = tempfile::tempdir().unwrap();
    let name = format!("{}/lab/multi:1", registry.host());

    let (ok, out) = step(
        env!("CARGO_BIN_EXE_03-manifest"),
        &[&name, "--platform", "linux/arm64"],
        &settings,
    );

    assert!(ok, "{out}");
    assert!(out.contains(&format!("digest verified {index}")), "{out}");
    assert!(
        out.contains(&format!("picked linux/arm64 → {arm64}")),
        "{out}"
    );
}

#[test]
fn step_04_stores_each_layer_under_its_verified_digest() {
    let registry = Registry::start(Auth::None);
    push_busybox(&registry, "lab/busybox:v1");
    let settings = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let name = format!("{}/lab/busybox:v1", registry.host());
    let store_arg = store.path().to_str().unwrap();

    let (ok, out) = step(
        env!("CARGO_BIN_EXE_04-blob"),
        &[&name, "--store", store_arg],
        &settings,
    );
    let (again_ok, again) = step(
        env!("CARGO_BIN_EXE_04-blob"),
        &[&name, "--store", store_arg],
        &settings,
    );

    assert!(ok && again_ok, "{out}{again}");
    let paths: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("→ "))
        .collect();
    assert_eq!(paths.len(), 2, "{out}");
    for path in paths {
        let hex = std::path::Path::new(path)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            registry::manifest::sha256_digest(&bytes),
            format!("sha256:{hex}")
        );
    }
    assert_eq!(again.matches("already in the store").count(), 2, "{again}");
}

#[test]
fn step_05_pulls_and_tags_then_skips_everything_the_second_time() {
    let registry = Registry::start(Auth::None);
    let manifest = push_busybox(&registry, "lab/busybox:v1");
    let settings = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let name = format!("{}/lab/busybox:v1", registry.host());
    let args = [name.as_str(), "--store", store.path().to_str().unwrap()];

    let (ok, out) = step(env!("CARGO_BIN_EXE_05-pull"), &args, &settings);
    let (_, again) = step(env!("CARGO_BIN_EXE_05-pull"), &args, &settings);

    assert!(ok, "{out}");
    assert!(out.contains(&format!("Digest: {manifest}")), "{out}");
    let tags = std::fs::read_to_string(store.path().join("tags.json")).unwrap();
    let tags: serde_json::Value = serde_json::from_str(&tags).unwrap();
    assert_eq!(tags[&name], serde_json::json!(manifest));
    assert!(
        again.contains("Blobs: 0 downloaded, 3 already present"),
        "{again}"
    );
}

#[test]
fn step_06_pushes_in_chunks_what_skopeo_then_reads() {
    let registry = Registry::start(Auth::None);
    let manifest = push_busybox(&registry, "lab/busybox:v1");
    let settings = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let store_arg = store.path().to_str().unwrap();
    let source = format!("{}/lab/busybox:v1", registry.host());
    let dest = format!("{}/class/busybox:v2", registry.host());
    step(
        env!("CARGO_BIN_EXE_05-pull"),
        &[&source, "--store", store_arg],
        &settings,
    );

    let args = [
        source.as_str(),
        dest.as_str(),
        "--store",
        store_arg,
        "--chunk-size",
        "524288",
    ];
    let (ok, out) = step(env!("CARGO_BIN_EXE_06-push"), &args, &settings);

    assert!(ok, "{out}");
    assert!(
        out.contains("Pushed (4 request(s))"),
        "busybox's 2 MB layer in 512 KiB chunks: {out}"
    );
    assert_eq!(
        skopeo_manifest_digest(&format!("docker://{dest}"), None),
        manifest
    );
}

/// Kills the step-07 server when the test ends, however it ends.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn step_07_serves_what_skopeo_pushes() {
    let root = tempfile::tempdir().unwrap();
    let mut server = Child(
        Command::new(env!("CARGO_BIN_EXE_07-serve"))
            .args([
                "--addr",
                "127.0.0.1:0",
                "--root",
                root.path().to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The first line says where it listens: wait for it instead of sleeping. The pipe stays
    // open to the end: the server prints a second line, and if we had closed our end by then,
    // its println! would fail with EPIPE and panic, taking the registry down mid-push.
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .trim_end_matches("/v2/\n")
        .to_string();
    let layout_dir = tempfile::tempdir().unwrap();
    let mut layout = harness::registry::image::OciLayout::new(layout_dir.path());
    let layer = harness::registry::image::tar_layer(&[("hello", b"hi\n", 0o644)]);
    let image = layout.image(
        "amd64",
        None,
        &[layer],
        harness::registry::image::OCI_LAYER_TAR,
    );
    let source = layout.name("v1", &image);

    let dest = format!("docker://{addr}/lab/hello:v1");
    skopeo(&[
        "copy",
        "--quiet",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &source,
        &dest,
    ]);

    let tag = root
        .path()
        .join("repositories/lab/hello/_manifests/tags/v1");
    assert_eq!(
        std::fs::read_to_string(tag).unwrap(),
        image["digest"].as_str().unwrap()
    );
    let hex = image["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    assert!(
        root.path().join("blobs/sha256").join(hex).is_file(),
        "the manifest is a blob in lesson 04's layout"
    );
}

#[test]
fn login_checks_saves_privately_and_logout_forgets() {
    let registry = Registry::start(Auth::Basic {
        user: "student".into(),
        password: "s3cret".into(),
    });
    let settings = tempfile::tempdir().unwrap();
    let login = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_login"))
            .args([
                registry.host().as_str(),
                "-u",
                "student",
                "--password-stdin",
            ])
            .env("LAB_AUTH_FILE", settings.path().join("auth.json"))
            .env(
                "LAB_REGISTRY_CONFIG",
                settings.path().join("registries.json"),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let file = settings.path().join("auth.json");

    let wrong = login("nope\n");
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("refused"),
        "{wrong:?}"
    );
    assert!(!file.exists(), "nothing saved for a wrong password");

    let right = login("s3cret\n");
    assert!(right.status.success(), "{right:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains(&registry.host())
    );

    let (ok, out) = step(
        env!("CARGO_BIN_EXE_login"),
        &[&registry.host(), "--logout"],
        &settings,
    );
    assert!(ok && out.contains("Removing login credentials"), "{out}");
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains(&registry.host())
    );
}
