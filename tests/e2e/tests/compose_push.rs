//! `capstone compose push`: the images of the services that have both `build:` and `image:`
//! go to the registry their name points at (the harness's real `docker-registry`, started in
//! the engine's network namespace); the others are skipped, as Docker Compose skips them.
//! What the registry holds is checked with `skopeo` and by pulling the image back.

mod capstone_support;

use capstone_support::{Engine, compose};
use harness::registry::{Auth, Registry};
use std::path::Path;

/// The manifest digest the registry serves for `reference`, as skopeo sees it.
fn skopeo_digest(engine: &Engine, reference: &str) -> String {
    let out = engine.in_netns(|| {
        harness::registry::run(
            std::process::Command::new("skopeo")
                .args(["inspect", "--tls-verify=false"])
                .arg(format!("docker://{reference}")),
        )
    });
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    json["Digest"].as_str().unwrap().to_string()
}

#[test]
fn push_sends_the_built_and_named_images_and_skips_the_others() {
    let engine = Engine::with_busybox();
    let registry = engine.in_netns(|| Registry::start(Auth::None));
    let reference = format!("{}/lab/web:v1", registry.host());
    let dir = tempfile::tempdir().unwrap();
    let file = format!(
        "name: pushed\nservices:\n  web:\n    build: .\n    image: {reference}\n  db:\n    image: busybox\n  scratchpad:\n    build: .\n"
    );
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox\nRUN echo pushed by compose > /greeting\n",
    )
    .unwrap();

    // Not built yet: the push fails, names the service, and the registry holds nothing.
    let early = compose(&engine, dir.path(), &["push"]);
    assert_eq!(early.code, 1, "{early:?}");
    assert!(early.stderr.contains("service \"web\""), "{}", early.stderr);
    assert!(
        !registry
            .storage()
            .join("docker/registry/v2/repositories/lab")
            .exists()
    );

    let built = compose(&engine, dir.path(), &["build"]);
    assert_eq!(built.code, 0, "{built:?}");
    let pushed = compose(&engine, dir.path(), &["push"]);
    assert_eq!(pushed.code, 0, "{pushed:?}");
    for said in [" web Pushed", " db Skipped", " scratchpad Skipped"] {
        assert!(pushed.stderr.contains(said), "{said}: {}", pushed.stderr);
    }
    // The digest printed is the one the registry serves, and the config blob is our build's.
    let served = skopeo_digest(&engine, &reference);
    assert!(
        pushed.stderr.contains(&format!("v1: digest: {served} ")),
        "{}",
        pushed.stderr
    );
    let id = engine.inspect(&reference)["Id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(registry.blob_data_path(&id).exists());
    // Only `web`'s repository was made: busybox and the unnamed build stayed home.
    let repositories = registry.storage().join("docker/registry/v2/repositories");
    let mut made: Vec<String> = walk_names(&repositories);
    made.sort();
    assert_eq!(made, ["lab/web"]);

    // A second push finds the layers there; removed here, the image comes back from the
    // registry (`run` pulls it, inside the namespace where the registry listens) and runs.
    let again = compose(&engine, dir.path(), &["push"]);
    assert!(
        again.stderr.contains("Layer already exists"),
        "{}",
        again.stderr
    );
    engine.ok(&["rmi", &reference]);
    assert_eq!(
        engine.ok(&["run", "--rm", &reference, "cat", "/greeting"]),
        "pushed by compose\n"
    );
}

#[test]
fn push_of_an_unknown_service_names_the_project_services() {
    let engine = Engine::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "name: pushed\nservices:\n  web:\n    image: busybox\n",
    )
    .unwrap();
    let run = compose(&engine, dir.path(), &["push", "nope"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no such service: nope") && run.stderr.contains("web"),
        "{}",
        run.stderr
    );
}

/// The repositories under a registry's `repositories/` directory (`lab/web`): the
/// directories that hold a `_manifests` directory, relative to `root`.
fn walk_names(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        if dir.join("_manifests").is_dir() {
            let name = dir
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            found.push(name);
            continue;
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                todo.push(entry.path());
            }
        }
    }
    found
}
