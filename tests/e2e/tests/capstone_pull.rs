//! Pulling through lesson 05's client from the harness's real `docker-registry`: by a full
//! reference, and the card's command — `run alpine …` fetching `docker.io/library/alpine`
//! from a configured mirror (`CAPSTONE_REGISTRY_MIRROR`), as a classroom without Internet does.

mod capstone_support;

use capstone_support::Engine;
use harness::registry::image::{OCI_LAYER_TAR, OciLayout, busybox_layer};
use harness::registry::{Auth, Registry};

/// A registry holding a one-layer busybox image under `repository:tag`.
fn registry_with_busybox(repository: &str) -> (Registry, tempfile::TempDir) {
    let registry = Registry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let mut layout = OciLayout::new(dir.path());
    let image = layout.image("amd64", None, &[busybox_layer()], OCI_LAYER_TAR);
    let source = layout.name("v1", &image);
    registry.push_with_skopeo(&source, repository, false);
    (registry, dir)
}

#[test]
fn pull_by_full_reference_stores_and_tags_the_image() {
    let (registry, _layout) = registry_with_busybox("lab/busybox:v1");
    let engine = Engine::new();
    let reference = format!("{}/lab/busybox:v1", registry.host());
    engine.ok(&["pull", &reference]);
    let images = engine.ok(&["images"]);
    assert!(
        images.contains(&format!("{}/lab/busybox", registry.host())),
        "{images}"
    );
    assert_eq!(
        engine.ok(&["run", "--rm", &reference, "/bin/busybox", "echo", "pulled"]),
        "pulled\n"
    );
}

#[test]
fn run_alpine_pulls_docker_hub_names_from_the_configured_mirror() {
    let engine = Engine::new();
    // `run` works in the engine's network namespace, so the mirror must listen there.
    let (registry, _layout) = engine.in_netns(|| registry_with_busybox("library/alpine:latest"));
    let out = engine
        .command(&[
            "run",
            "--rm",
            "alpine",
            "/bin/busybox",
            "echo",
            "from the mirror",
        ])
        .env(
            "CAPSTONE_REGISTRY_MIRROR",
            format!("http://{}", registry.host()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from the mirror\n");
    assert!(
        stderr.contains("Unable to find image 'alpine:latest' locally"),
        "{stderr}"
    );
    assert!(
        engine.ok(&["images"]).contains("alpine "),
        "tagged as docker.io/library/alpine:latest"
    );
}
