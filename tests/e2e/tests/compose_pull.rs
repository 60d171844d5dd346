//! `capstone compose pull` and `up` with images from a registry: the harness's real
//! `docker-registry`, started inside the engine's network namespace (compose works there),
//! as a classroom registry serves a room without Internet.

mod capstone_support;

use capstone_support::Engine;

#[test]
fn pull_fetches_the_services_images_and_up_then_needs_no_registry() {
    let engine = Engine::new();
    let (registry, _layout) = engine.registry_with_busybox();
    let image = format!("{}/lab/busybox:v1", registry.host());
    let dir = tempfile::tempdir().unwrap();
    let file = format!(
        "name: pulled\nservices:\n  app:\n    image: {image}\n    command: [\"/bin/busybox\", \"sleep\", \"1000\"]\n"
    );
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    let compose = |args: &[&str]| {
        let mut all = vec!["compose"];
        all.extend_from_slice(args);
        let out = engine
            .command(&all)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "compose {args:?}: {stderr}");
        stderr
    };

    assert!(!engine.ok(&["images"]).contains("lab/busybox"));
    let said = compose(&["pull"]);
    assert!(said.contains("app Pulled"), "{said}");
    assert!(
        engine
            .ok(&["images"])
            .contains(&format!("{}/lab/busybox", registry.host()))
    );

    // The image is in the store now: `up` does not pull again, even with the registry gone.
    drop(registry);
    let said = compose(&["up", "-d"]);
    assert!(!said.contains("Unable to find image"), "{said}");
    assert_eq!(engine.inspect("pulled-app-1")["State"]["Status"], "running");
    compose(&["down", "-t", "1"]);
}
