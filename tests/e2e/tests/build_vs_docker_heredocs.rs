//! Heredocs (`RUN <<EOF`, `COPY <<EOF /file`), which Docker 20.10's builders cannot parse:
//! the corpus `tests/dockerfiles/heredocs` says the same thing twice — `Dockerfile` with
//! heredocs, built by `capstone build`, and `Dockerfile.classic` without, built by Docker's
//! legacy builder and BuildKit — and the images must agree on config, layers and files (see
//! `build_vs_docker.rs`). Errors in a heredoc name the line inside it.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;
#[path = "dockerfiles/docker.rs"]
mod docker;

use common::*;
use docker::Builders;

#[test]
fn heredocs_give_the_image_docker_builds_from_the_classic_dockerfile() {
    let ctx = context_copy("heredocs");
    let ctx_arg = ctx.path().to_str().unwrap();
    let classic = ctx.path().join("Dockerfile.classic");
    let b = Builders::new();
    let ours = b.build_ours(ctx.path(), "heredocs");
    let mut builders = vec![false];
    if b.dockerd.has_buildkit() {
        builders.push(true);
    }
    for buildkit in builders {
        let tag = format!("heredocs-{}", if buildkit { "buildkit" } else { "legacy" });
        let flags = ["-f", classic.to_str().unwrap()];
        let theirs = b.build_docker_with(ctx_arg, &tag, buildkit, &flags, None);
        b.assert_same(&ours, &tag, &theirs);
    }
    let rootfs = b.dirs.path().join("ours/bundle/rootfs");
    let read = |p: &str| std::fs::read_to_string(rootfs.join(p)).unwrap();
    assert_eq!(read("run-plain.txt"), "hello world\n");
    assert_eq!(read("srv/script.txt"), "script hello\n");
    assert_eq!(read("srv/inline.txt"), "first hello\nsecond\n");
    assert_eq!(read("srv/docs/RAW"), "$GREETING not expanded\n");
    assert!(
        !rootfs.join(".capstone-heredoc").exists(),
        "the #! script stayed in the layer"
    );
}

#[test]
fn a_changed_heredoc_script_is_rebuilt_and_an_unchanged_one_is_cached() {
    let engine = capstone_support::Engine::with_busybox();
    let ctx = context_with("FROM busybox\nRUN <<EOF\n#!/bin/sh\necho one > /v\nEOF\n");
    let first = capstone_build(&engine, ctx.path(), &["-t", "h"]);
    assert_eq!(first.code, 0, "{first:?}");
    let again = capstone_build(&engine, ctx.path(), &["-t", "h"]);
    assert!(again.stdout.contains("CACHED"), "{}", again.stdout);
    let changed = "FROM busybox\nRUN <<EOF\n#!/bin/sh\necho two > /v\nEOF\n";
    std::fs::write(ctx.path().join("Dockerfile"), changed).unwrap();
    let rebuilt = capstone_build(&engine, ctx.path(), &["-t", "h"]);
    assert_eq!(rebuilt.code, 0, "{rebuilt:?}");
    assert!(!rebuilt.stdout.contains("CACHED"), "{}", rebuilt.stdout);
    let out = engine.ok(&["run", "--rm", "--network", "none", "h", "cat", "/v"]);
    assert_eq!(out, "two\n");
}

#[test]
fn heredoc_errors_name_their_lines() {
    let engine = capstone_support::Engine::with_busybox();
    let ctx = context_with("FROM busybox\nCOPY <<EOF /x\nfine\n${BROKEN\nEOF\n");
    let run = capstone_build(&engine, ctx.path(), &["-t", "bad"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("dockerfile line 4: in <<EOF:"),
        "{}",
        run.stderr
    );
    let ctx = context_with("FROM busybox\nRUN <<EOF\necho never closed\n");
    let run = capstone_build(&engine, ctx.path(), &["-t", "bad"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("dockerfile line 2: the heredoc <<EOF is never closed"),
        "{}",
        run.stderr
    );
    assert_nothing_left(&engine, "bad");
}
