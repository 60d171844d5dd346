//! The instructor's bundle and classroom, end to end with real tools: an image with random
//! content is pushed (skopeo) to one registry (Debian's docker-registry) in a network
//! namespace of the test's own; `cargo kit bundle create` saves it, `cargo kit bundle load`
//! fills a second registry, and skopeo pulls it from there by digest. `cargo kit classroom
//! --bundle` serves the same file from lesson 05's registry and the book, and stops both on
//! SIGINT (what Ctrl-C sends).
//!
//! Run: `cargo test -p workshop --test classkit_bundle` (as root, through the cargo runner).

mod common;

use harness::netns::TestNetns;
use harness::registry::image::{OciLayout, sha256, tar_layer};
use harness::registry::{Auth, Registry, free_port, run};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// Where the kit builds `kit-bundle` for these tests: not `target/kit-dev-check`, whose
/// lesson code the authors' check fills with holes from its copies.
fn bundle_target() -> PathBuf {
    common::workspace_root().join("target/kit-bundle-test")
}

/// The workspace's own `kit-bundle`, if `cargo build --workspace` made it and it is newer
/// than `workshop/bundle/src` (scripts/test-all.sh builds it just before the tests); else the
/// kit builds one in [`bundle_target`] (cargo cannot build into the target directory that
/// `cargo test` is holding).
fn built_bundle_tool() -> Option<PathBuf> {
    let bin = common::workspace_root().join("target/debug/kit-bundle");
    let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok()?;
    let sources = common::workspace_root().join("workshop/bundle/src");
    let newest_source = std::fs::read_dir(&sources)
        .ok()?
        .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
        .max()?;
    (built >= newest_source).then_some(bin)
}

/// `cargo kit ARGS` on the checkout (the bundle commands change no source file), in `ns`.
fn kit(ns: &TestNetns, args: &[&str]) -> std::process::Output {
    let mut command = ns.command(env!("CARGO_BIN_EXE_workshop"));
    command.env("CARGO_TARGET_DIR", bundle_target());
    if let Some(built) = built_bundle_tool() {
        command.env("KIT_BUNDLE_BIN", built);
    }
    let out = command
        .arg("--root")
        .arg(common::workspace_root())
        .args(args)
        .output()
        .expect("run the kit");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Pushes an image whose layer holds `content` to `registry` as library/kitimg:v1; returns
/// its manifest digest.
fn push_image(registry: &Registry, dir: &Path, content: &[u8]) -> String {
    let mut layout = OciLayout::new(dir);
    let manifest = layout.image(
        "amd64",
        None,
        &[tar_layer(&[("hello.txt", content, 0o644)])],
        LAYER,
    );
    let source = layout.name("v1", &manifest);
    registry.push_with_skopeo(&source, "library/kitimg:v1", false);
    manifest["digest"].as_str().unwrap().to_string()
}

/// `cargo kit bundle create FILE` from `registry`'s library/kitimg:v1.
fn create_bundle(ns: &TestNetns, registry: &Registry, file: &Path) {
    let image = format!("{}/library/kitimg:v1", registry.host());
    let out = kit(
        ns,
        &[
            "bundle",
            "create",
            file.to_str().unwrap(),
            "--image",
            &image,
        ],
    );
    assert!(out.status.success(), "bundle create failed");
}

/// Pulls `library/kitimg@digest` from `host` with skopeo into `into`; returns the manifest bytes.
fn pull_by_digest(host: &str, digest: &str, into: &Path) -> Vec<u8> {
    let source = format!("docker://{host}/library/kitimg@{digest}");
    // dir: keeps every blob as the registry sent it (an oci: layout may recompress layers).
    let dest = format!("dir:{}", into.display());
    run(Command::new("skopeo").args(["copy", "--quiet", "--src-tls-verify=false", &source, &dest]));
    run(Command::new("skopeo").args(["inspect", "--raw", "--tls-verify=false", &source]))
}

#[test]
fn a_bundle_carries_images_from_one_registry_to_another_by_digest_and_tampering_is_refused() {
    let ns = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let content = format!("kit bundle {}", sha256(&now.as_nanos().to_le_bytes()));
    let file = dir.path().join("class.bundle");
    ns.run(|| {
        let (source, target) = (Registry::start(Auth::None), Registry::start(Auth::None));
        let digest = push_image(&source, &dir.path().join("image"), content.as_bytes());
        create_bundle(&ns, &source, &file);
        drop(source); // from here on, the images can only come from the bundle

        let out = kit(
            &ns,
            &[
                "bundle",
                "load",
                file.to_str().unwrap(),
                "--registry",
                &target.host(),
            ],
        );
        assert!(out.status.success(), "bundle load failed");
        let manifest = pull_by_digest(&target.host(), &digest, &dir.path().join("pulled"));
        assert_eq!(sha256(&manifest), digest, "the manifest pulled by digest");
        let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
        let layer = manifest["layers"][0]["digest"].as_str().unwrap();
        let layer_blob = dir
            .path()
            .join("pulled")
            .join(layer.trim_start_matches("sha256:"));
        let pulled = std::fs::read(&layer_blob).unwrap_or_default();
        assert!(
            pulled
                .windows(content.len())
                .any(|w| w == content.as_bytes()),
            "the layer pulled by digest holds our content"
        );

        // One byte of the layer changed in the file: the load must fail, naming the blob.
        let mut bytes = std::fs::read(&file).unwrap();
        let at = bytes
            .windows(content.len())
            .position(|w| w == content.as_bytes())
            .expect("the layer is in the bundle");
        bytes[at] ^= 1;
        std::fs::write(&file, bytes).unwrap();
        let fresh = Registry::start(Auth::None);
        let out = kit(
            &ns,
            &[
                "bundle",
                "load",
                file.to_str().unwrap(),
                "--registry",
                &fresh.host(),
            ],
        );
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && said.contains("blobs/sha256/"),
            "a tampered bundle loaded: {said}"
        );
        let catalog =
            harness::registry::http_status(fresh.port(), "/v2/library/kitimg/manifests/v1");
        assert_eq!(catalog, 404, "nothing of the tampered bundle was published");
    });
}

/// Polls `GET path` on 127.0.0.1:port until it answers 200 (or `deadline` passes).
fn wait_for_200(port: u16, path: &str, deadline: Duration) -> bool {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && harness::registry::http_status(port, path) == 200
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn the_classroom_serves_the_bundle_and_the_book_and_stops_them_on_ctrl_c() {
    let ns = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let file: PathBuf = dir.path().join("class.bundle");
    ns.run(|| {
        let source = Registry::start(Auth::None);
        let digest = push_image(&source, &dir.path().join("image"), b"classroom");
        create_bundle(&ns, &source, &file);
        drop(source);

        let (registry_port, book_port) = (free_port(), free_port());
        let mut classroom = ns.command(env!("CARGO_BIN_EXE_workshop"));
        classroom
            .env("CARGO_TARGET_DIR", bundle_target())
            .envs(built_bundle_tool().map(|bin| ("KIT_BUNDLE_BIN", bin)))
            .args([
                "classroom",
                "--listen",
                "127.0.0.1:0",
                "--bundle",
                file.to_str().unwrap(),
            ])
            .args(["--registry", &format!("127.0.0.1:{registry_port}")])
            .args(["--book", &format!("127.0.0.1:{book_port}")])
            .stdout(Stdio::piped());
        let mut child = classroom.spawn().expect("start cargo kit classroom");
        let guard = KillOnDrop(child.id());
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let dashboard = lines.by_ref().map_while(Result::ok).find_map(|l| {
            l.strip_prefix("classroom dashboard: http://")
                .map(str::to_string)
        });
        assert!(dashboard.is_some(), "the dashboard never started");
        std::thread::spawn(move || lines.for_each(drop)); // keep the pipe drained

        let path = format!("/v2/library/kitimg/manifests/{digest}");
        assert!(
            wait_for_200(registry_port, &path, Duration::from_secs(120)),
            "the classroom registry never served the bundle's image by digest"
        );
        assert!(
            wait_for_200(book_port, "/", Duration::from_secs(120)),
            "the book was never served"
        );
        let before = ns.processes();
        assert!(
            before.len() >= 2,
            "the kit and its registry run in the namespace: {before:?}"
        );

        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        let status = child.wait().unwrap();
        std::mem::forget(guard); // reaped: its pid may belong to another process now
        assert!(status.success(), "the kit ended with {status} on SIGINT");
        let until = Instant::now() + Duration::from_secs(10);
        while !ns.processes().is_empty() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            ns.processes(),
            Vec::<i32>::new(),
            "processes left after Ctrl-C"
        );
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", registry_port)).is_err(),
            "the registry still listens"
        );
    });
}

/// Kills (SIGKILL, by pid) a process the test started, should an assertion fail first.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0 as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}
