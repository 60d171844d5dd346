//! `capstone build`'s flags against Docker's, with Debian's dockerd as the reference (see
//! `build_vs_docker.rs` for how the images are compared): `--label` and `--iidfile`, and a
//! Dockerfile on stdin (`build -`, `-f -`). Each case is built by us, by Docker's legacy
//! builder and by BuildKit, and the images must agree on config, layers and files.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;
#[path = "dockerfiles/docker.rs"]
mod docker;

use common::*;
use docker::Builders;
use serde_json::Value;

/// Builds with us and both of Docker's builders, the same flags and stdin each time, and
/// compares; returns our config.
fn build_all(b: &Builders, ctx: &str, name: &str, extra: &[&str], stdin: Option<&str>) -> Value {
    let ours = b.build_ours_with(ctx, name, extra, stdin);
    let mut builders = vec![false];
    if b.dockerd.has_buildkit() {
        builders.push(true);
    }
    for buildkit in builders {
        let tag = format!("{name}-{}", if buildkit { "buildkit" } else { "legacy" });
        let theirs = b.build_docker_with(ctx, &tag, buildkit, extra, stdin);
        b.assert_same(&ours, &tag, &theirs);
    }
    ours
}

#[test]
fn labels_from_the_command_line_land_in_the_config_as_in_docker() {
    let ctx = context_with("FROM busybox\nLABEL from.file=1 overridden=file\n");
    let b = Builders::new();
    let flags = [
        "--label",
        "org.example.cli=yes",
        "--label",
        "overridden=cli",
        "--label",
        "bare",
    ];
    let config = build_all(&b, ctx.path().to_str().unwrap(), "labels", &flags, None);
    let labels = &config["config"]["Labels"];
    assert_eq!(labels["from.file"], "1");
    assert_eq!(labels["org.example.cli"], "yes");
    assert_eq!(labels["overridden"], "cli", "--label wins over LABEL");
    assert_eq!(labels["bare"], "", "--label KEY is an empty value");
}

#[test]
fn iidfile_holds_the_image_id_as_dockers_does() {
    let ctx = context_with("FROM busybox\nENV A=1\n");
    let b = Builders::new();
    let ours_file = b.dirs.path().join("ours.iid");
    b.build_ours_with(
        ctx.path().to_str().unwrap(),
        "iid",
        &["--iidfile", ours_file.to_str().unwrap()],
        None,
    );
    let theirs_file = b.dirs.path().join("theirs.iid");
    b.build_docker_with(
        ctx.path().to_str().unwrap(),
        "iid-legacy",
        false,
        &["--iidfile", theirs_file.to_str().unwrap()],
        None,
    );
    let ours = std::fs::read_to_string(&ours_file).unwrap();
    let theirs = std::fs::read_to_string(&theirs_file).unwrap();
    // The same form (`sha256:` and 64 hex digits, no newline) naming the image built.
    let shape = |id: &str| id.len() == 71 && id.starts_with("sha256:") && !id.contains('\n');
    assert!(shape(&theirs), "docker's iidfile: {theirs:?}");
    assert!(shape(&ours), "our iidfile: {ours:?}");
    assert_eq!(b.dockerd.inspect("iid-legacy")["Id"], theirs.as_str());
    let config_digest = {
        let manifest = manifest_of(&b.engine, "docker.io/library/iid:latest");
        let m: Value =
            serde_json::from_slice(&std::fs::read(b.engine.blob_path(&manifest)).unwrap()).unwrap();
        m["config"]["digest"].as_str().unwrap().to_string()
    };
    assert_eq!(ours, config_digest);
}

#[test]
fn a_dockerfile_on_stdin_builds_as_in_docker() {
    // `build -`: no context at all.
    let b = Builders::new();
    let text = "FROM busybox\nRUN echo from stdin > /made.txt\n";
    build_all(&b, "-", "stdin-ctx", &[], Some(text));
    let rootfs = b.dirs.path().join("ours/bundle/rootfs");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("made.txt")).unwrap(),
        "from stdin\n"
    );
}

#[test]
fn dash_f_dash_reads_the_dockerfile_from_stdin_with_a_context() {
    let ctx = context_with("FROM busybox\nRUN exit 1\n"); // the file that must NOT be used
    let b = Builders::new();
    let text = "FROM busybox\nCOPY present.txt /from-context.txt\n";
    build_all(
        &b,
        ctx.path().to_str().unwrap(),
        "stdin-f",
        &["-f", "-"],
        Some(text),
    );
    let rootfs = b.dirs.path().join("ours/bundle/rootfs");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("from-context.txt")).unwrap(),
        "here\n"
    );
}

#[test]
fn an_archive_on_stdin_is_refused_with_what_to_do() {
    let engine = capstone_support::Engine::with_busybox();
    let run = engine.run_with_stdin(&["build", "-t", "never", "-"], "BZh91AY&SY not really");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "a build context on stdin is not supported; extract it and give its directory"
        ),
        "{}",
        run.stderr
    );
    assert_nothing_left(&engine, "never");
}
