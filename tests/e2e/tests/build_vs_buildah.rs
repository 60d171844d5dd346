//! `capstone build` against `buildah bud` (a real builder, from Debian): the same Dockerfile
//! corpus (`tests/dockerfiles/`), built by both from the same busybox tarball, must give images
//! whose configs agree on Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Labels,
//! Volumes and StopSignal, and whose root file systems — each unpacked by `umoci`, software
//! neither builder shares — agree file by file (names, types, modes, owners, contents, link
//! targets).
//!
//! Known, documented differences that are filtered out: buildah adds an `io.buildah.version`
//! label, and its `RUN` leaves empty `/etc/hostname` and `/etc/resolv.conf` files behind.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;

use capstone_support::Engine;
use common::*;
use std::path::Path;

/// Our engine and a buildah, each with the same busybox.
struct Pair {
    engine: Engine,
    buildah: Buildah,
}

impl Pair {
    fn new() -> Pair {
        Pair {
            engine: Engine::with_busybox(),
            buildah: Buildah::with_busybox(),
        }
    }

    /// Builds `ctx` with both builders; both must succeed.
    fn build(&self, ctx: &Path, args: &[&str]) {
        let ours = capstone_build(&self.engine, ctx, args);
        assert_eq!(ours.code, 0, "capstone build {args:?}: {ours:?}");
        let out = self.buildah.bud(ctx, args);
        assert!(
            out.status.success(),
            "buildah bud {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Unpacks both builders' `name` and compares configs and root file systems; returns the
    /// unpack dirs (`ours/bundle/rootfs`, `buildah/bundle/rootfs`) and our config.
    fn compare(&self, name: &str) -> (tempfile::TempDir, serde_json::Value) {
        let dirs = tempfile::Builder::new()
            .prefix("build-cmp-")
            .tempdir()
            .unwrap();
        let our_config = unpack_ours(
            &self.engine,
            &format!("docker.io/library/{name}:latest"),
            &dirs.path().join("ours"),
        );
        let their_config = self.buildah.unpack(
            &format!("localhost/{name}:latest"),
            &dirs.path().join("buildah"),
        );
        let mut theirs = compared_config(&their_config);
        for (key, value) in &mut theirs {
            if *key == "Labels" {
                if let Some(labels) = value.as_object_mut() {
                    labels.remove("io.buildah.version");
                }
                if value.as_object().is_some_and(|l| l.is_empty()) {
                    *value = serde_json::Value::Null;
                }
            }
        }
        assert_eq!(
            compared_config(&our_config),
            theirs,
            "{name}: image configs differ"
        );
        let ours = rootfs(&dirs.path().join("ours"));
        let mut theirs = rootfs(&dirs.path().join("buildah"));
        for artefact in ["etc/hostname", "etc/resolv.conf"] {
            if !ours.0.contains_key(Path::new(artefact)) {
                theirs.0.remove(Path::new(artefact));
            }
        }
        let differences = ours.differences(&theirs);
        assert!(
            differences.is_empty(),
            "{name}: root file systems differ at {differences:?}"
        );
        (dirs, our_config)
    }
}

/// Builds corpus `name` with both builders (tag `name`) and compares.
fn build_both(name: &str, extra: &[&str]) -> (Engine, tempfile::TempDir, serde_json::Value) {
    let ctx = context_copy(name);
    if ctx.path().join(".dockerignore").exists() {
        make_archive(ctx.path());
    }
    let pair = Pair::new();
    let mut args = vec!["-t", name];
    args.extend_from_slice(extra);
    pair.build(ctx.path(), &args);
    let (dirs, config) = pair.compare(name);
    (pair.engine, dirs, config)
}

#[test]
fn every_instruction_matches_buildah() {
    let (_engine, dirs, config) = build_both("basics", &["--build-arg", "VERSION=2.5"]);
    // A few things the comparison covers, checked directly so a regression is obvious.
    let c = &config["config"];
    assert_eq!(c["Labels"]["org.example.version"], "2.5");
    assert_eq!(c["User"], "nobody");
    assert_eq!(c["WorkingDir"], "/srv/app/sub");
    let rootfs = dirs.path().join("ours/bundle/rootfs");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("srv/app/sub/greeting.txt")).unwrap(),
        "hello world from /srv/app/sub\n"
    );
    assert!(
        !rootfs.join("copied/ignored.log").exists(),
        ".dockerignore'd file was copied"
    );
    assert!(
        rootfs.join("copied/keep.log").exists(),
        "a `!` exception was not copied"
    );
    assert_eq!(
        std::fs::read_to_string(rootfs.join("args.txt")).unwrap(),
        "base=busybox version=2.5 unset=none\n"
    );
    assert!(
        !rootfs.join("etc/group").exists(),
        "RUN rm was not recorded as a whiteout"
    );
    assert_eq!(
        std::fs::read_to_string(rootfs.join("owned-by-nobody/shell.txt")).unwrap(),
        "run by /bin/sh as 65534\n"
    );
}

#[test]
fn multi_stage_matches_buildah_and_keeps_only_the_final_stage() {
    let (engine, dirs, _) = build_both("multistage", &[]);
    let rootfs = dirs.path().join("ours/bundle/rootfs");
    assert!(rootfs.join("usr/local/bin/app").is_file());
    assert!(rootfs.join("opt/app-copy").is_file());
    assert!(
        !rootfs.join("build").exists(),
        "the build stage's files leaked into the final image"
    );
    // The build stage alone, as its own image: much larger than the final one.
    let ctx = context_copy("multistage");
    let run = capstone_build(
        &engine,
        ctx.path(),
        &["-t", "toolchain", "--target", "build"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let size = |r: &str| -> u64 {
        let m = manifest_of(&engine, r);
        let blob = |d: &str| engine.blob_path(d);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(blob(&m)).unwrap()).unwrap();
        manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["size"].as_u64().unwrap())
            .sum()
    };
    // Layers are gzip'd, so 2 MiB of zeros shrink; compare the uncompressed trees instead.
    let build_dir = dirs.path().join("target-build");
    unpack_ours(&engine, "docker.io/library/toolchain:latest", &build_dir);
    let du = |p: &Path| overlay::tree::disk_usage(p).unwrap();
    assert!(
        du(&build_dir.join("bundle/rootfs")) > du(&rootfs) + 2_000_000,
        "build stage is not larger"
    );
    assert!(
        size("docker.io/library/toolchain:latest") >= size("docker.io/library/multistage:latest")
    );
}

#[test]
fn unneeded_stages_are_not_built() {
    // Stage `unused` would fail (`RUN exit 1`): building the default target must not run it.
    let ctx = context_copy("multistage");
    let engine = Engine::with_busybox();
    let run = capstone_build(&engine, ctx.path(), &["-t", "m"]);
    assert_eq!(run.code, 0, "{run:?}");
    let steps: Vec<&str> = run.stdout.lines().filter(|l| l.contains("STEP")).collect();
    assert!(
        steps.iter().any(|l| l.contains("RUN dd if=/dev/zero")),
        "the needed stage was built: {}",
        run.stdout
    );
    assert!(
        !steps.iter().any(|l| l.contains("RUN exit 1")),
        "the unused stage was built: {}",
        run.stdout
    );
    let run = capstone_build(&engine, ctx.path(), &["--target", "unused"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("line 8: RUN exit 1: exit code 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn entrypoint_and_cmd_rules_match_buildah() {
    let (_engine, _dirs, config) = build_both("entrypoint", &[]);
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/bin/sh", "-c", "echo shell form"])
    );
    assert!(
        config["config"]["Cmd"].is_null(),
        "ENTRYPOINT must reset the inherited CMD"
    );
}

#[test]
fn onbuild_triggers_fire_in_the_child_image_as_in_buildah() {
    let ctx = context_copy("onbuild");
    let pair = Pair::new();
    pair.build(
        ctx.path(),
        &[
            "-f",
            ctx.path().join("Dockerfile.parent").to_str().unwrap(),
            "-t",
            "onbuild-parent",
        ],
    );
    pair.build(ctx.path(), &["-t", "onbuild-child"]);
    let (dirs, config) = pair.compare("onbuild-child");
    let rootfs = dirs.path().join("ours/bundle/rootfs");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("triggered.txt")).unwrap(),
        "fired in the child\n"
    );
    assert!(
        rootfs.join("app/from-trigger.txt").is_file(),
        "the ONBUILD COPY did not run"
    );
    assert!(
        config["config"]["OnBuild"].is_null(),
        "triggers fire once: the child must not keep them"
    );
}
