//! Base images that are not in the store are pulled by `capstone build` exactly as by
//! `capstone run`: through lesson 05's client, from the harness's real `docker-registry`, with
//! Docker Hub names served by `CAPSTONE_REGISTRY_MIRROR` and a private registry's login saved
//! by `capstone login`. A base that cannot be pulled fails naming the Dockerfile line.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;

use capstone_support::{Engine, Run, busybox_tarball};
use common::{assert_nothing_left, capstone_build, context_with};
use harness::registry::image::{OCI_LAYER_TAR, OciLayout};
use harness::registry::{Auth, Registry};
use std::path::Path;

const USER: &str = "student";
const PASSWORD: &str = "build-s3cret";

/// Pushes the busybox root filesystem (one uncompressed layer) as each of `repositories`.
fn push_busybox(registry: &Registry, repositories: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut layout = OciLayout::new(dir.path());
    let layer = std::fs::read(busybox_tarball().path()).unwrap();
    let image = layout.image("amd64", None, &[layer], OCI_LAYER_TAR);
    let source = layout.name("v1", &image);
    for repository in repositories {
        registry.push_with_skopeo(&source, repository, false);
    }
    dir
}

/// `capstone build` with `CAPSTONE_REGISTRY_MIRROR` pointing at `registry`.
fn build_with_mirror(engine: &Engine, registry: &Registry, ctx: &Path, tag: &str) -> Run {
    let out = engine
        .command(&["build", "-t", tag, ctx.to_str().unwrap()])
        .env(
            "CAPSTONE_REGISTRY_MIRROR",
            format!("http://{}", registry.host()),
        )
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn missing_bases_are_pulled_from_the_mirror_for_from_and_copy_from() {
    let registry = Registry::start(Auth::None);
    let _layout = push_busybox(&registry, &["library/alpine:latest", "lab/tools:v1"]);
    let engine = Engine::new(); // an empty store
    let tools = format!("{}/lab/tools:v1", registry.host());
    let ctx = context_with(&format!(
        "FROM alpine\nRUN echo built on alpine > /built.txt\nCOPY --from={tools} /bin/busybox /tools-busybox\n"
    ));

    let run = build_with_mirror(&engine, &registry, ctx.path(), "pulled-base");

    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("Unable to find image 'alpine:latest' locally"),
        "{}",
        run.stderr
    );
    let images = engine.ok(&["images"]);
    assert!(
        images.contains("alpine "),
        "FROM's base not stored: {images}"
    );
    assert!(
        images.contains("/lab/tools"),
        "COPY --from's image not stored: {images}"
    );
    let out = engine.ok(&["run", "--rm", "pulled-base", "cat", "/built.txt"]);
    assert_eq!(out, "built on alpine\n");
    // The copied file is the tools image's busybox (the same binary as the base's here).
    engine.ok(&[
        "run",
        "--rm",
        "pulled-base",
        "cmp",
        "/bin/busybox",
        "/tools-busybox",
    ]);
    // A second build finds both in the store: the registry is not asked for manifests again.
    let asked = |log: &[String]| log.iter().filter(|l| l.contains("/manifests/")).count();
    let before = asked(&registry.log());
    assert!(before > 0, "the registry's log shows no manifest request");
    let again = build_with_mirror(&engine, &registry, ctx.path(), "pulled-base");
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        !again.stderr.contains("Unable to find image"),
        "{}",
        again.stderr
    );
    assert_eq!(asked(&registry.log()), before, "pulled again");
}

/// `capstone login` as the test user, which must succeed.
fn login(engine: &Engine, server: &str) {
    let run = engine.login(server, USER, PASSWORD);
    assert_eq!(run.code, 0, "login: {run:?}");
}

#[test]
fn a_private_base_is_pulled_with_the_saved_login_and_refused_without_one() {
    let registry = Registry::start(Auth::Basic {
        user: USER.into(),
        password: PASSWORD.into(),
    });
    let _layout = push_busybox(&registry, &["lab/private:1"]);
    let host = registry.host();
    let engine = Engine::new();
    let ctx = context_with(&format!(
        "# a private base\nFROM {host}/lab/private:1\nRUN true\n"
    ));

    let refused = capstone_build(&engine, ctx.path(), &["-t", "private-child"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains(&format!(
            "dockerfile line 2: FROM {host}/lab/private:1: base image {host}/lab/private:1 is not in the store and cannot be pulled"
        )) && refused.stderr.contains(&format!("capstone login {host}")),
        "{}",
        refused.stderr
    );

    login(&engine, &host);
    let built = capstone_build(&engine, ctx.path(), &["-t", "private-child"]);
    assert_eq!(built.code, 0, "{built:?}");
    assert!(engine.ok(&["images"]).contains("private-child"));
}

#[test]
fn a_base_that_cannot_be_pulled_names_the_line_and_tags_nothing() {
    let registry = Registry::start(Auth::None);
    let engine = Engine::new();
    let missing = format!("{}/lab/missing:v1", registry.host());
    let ctx = context_with(&format!("ARG V=1\nFROM {missing}\nRUN true\n"));

    let run = capstone_build(&engine, ctx.path(), &["-t", "orphan"]);

    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "dockerfile line 2: FROM {missing}: base image {missing} is not in the store and cannot be pulled:"
        )),
        "{}",
        run.stderr
    );
    assert_nothing_left(&engine, "orphan");
    let images = engine.ok(&["images"]);
    assert!(
        images.starts_with("REPOSITORY") && images.lines().count() == 1,
        "the store was empty and stays so: {images}"
    );
}
