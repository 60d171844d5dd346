//! `RUN --mount=…` against BuildKit (Docker 20.10's BuildKit knows cache, bind, tmpfs and
//! secret mounts; its legacy builder knows none): the same Dockerfile and secret, built by
//! `capstone build` and by BuildKit, must give the same image — the mounts' contents in no
//! layer, their empty mount-point directories left as BuildKit leaves them (see
//! `build_vs_docker.rs` for the comparison). Then what only we can show: a cache mount keeps its
//! content across builds, even `--no-cache` ones, and a secret is in no blob of the store.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;
#[path = "dockerfiles/docker.rs"]
mod docker;

use capstone_support::Engine;
use common::*;
use docker::Builders;
use std::process::Command;

const SECRET: &str = "s3cr3t-never-in-a-layer";

const MOUNTS: &str = "FROM busybox
RUN --mount=type=cache,target=/var/cache/app,id=app echo run >> /var/cache/app/log && cp /var/cache/app/log /tmp/seen && rm /tmp/seen
RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/y && ls /scratch > /tmpfs-listing.txt
RUN --mount=type=bind,source=present.txt,target=/mnt/c.txt cp /mnt/c.txt /copied.txt
RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /secret-length.txt
";

#[test]
fn run_mounts_leave_the_image_buildkit_leaves() {
    let ctx = context_with(MOUNTS);
    let secret_file = ctx.path().join("secret.txt");
    std::fs::write(&secret_file, SECRET).unwrap();
    let secret = format!("id=token,src={}", secret_file.display());
    let flags = ["--secret", secret.as_str()];
    let b = Builders::new();
    let ctx_arg = ctx.path().to_str().unwrap();
    let ours = b.build_ours_with(ctx_arg, "mounts", &flags, None);
    if b.dockerd.has_buildkit() {
        let theirs = b.build_docker_with(ctx_arg, "mounts-buildkit", true, &flags, None);
        b.assert_same(&ours, "mounts-buildkit", &theirs);
    }
    let rootfs = b.dirs.path().join("ours/bundle/rootfs");
    let read = |p: &str| std::fs::read_to_string(rootfs.join(p)).unwrap();
    assert_eq!(read("tmpfs-listing.txt"), "y\n");
    assert_eq!(read("copied.txt"), "here\n");
    assert_eq!(read("secret-length.txt").trim(), SECRET.len().to_string());
    for stub in ["var/cache/app", "scratch", "mnt"] {
        let dir = rootfs.join(stub);
        assert!(
            dir.is_dir(),
            "/{stub}: the mount point stays, as in BuildKit"
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "/{stub} is empty"
        );
    }
    assert!(
        !rootfs.join("mnt/c.txt").exists(),
        "a file mount point is removed"
    );
    assert!(!rootfs.join("run/secrets/token").exists());
}

#[test]
fn a_cache_mount_keeps_its_content_across_builds_and_out_of_the_layers() {
    let ctx = context_with(
        "FROM busybox\nRUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /runs.txt\n",
    );
    let engine = Engine::with_busybox();
    let runs = |args: &[&str]| {
        let mut all = vec!["-t", "cached"];
        all.extend_from_slice(args);
        let run = capstone_build(&engine, ctx.path(), &all);
        assert_eq!(run.code, 0, "{run:?}");
        engine.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "cached",
            "cat",
            "/runs.txt",
        ])
    };
    assert_eq!(runs(&[]).trim(), "1");
    assert_eq!(
        runs(&["--no-cache"]).trim(),
        "2",
        "the cache mount was not kept"
    );
    let listing = engine.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "cached",
        "ls",
        "-A",
        "/cache",
    ]);
    assert_eq!(listing, "", "the cache's content leaked into the image");
}

#[test]
fn a_secret_is_in_no_blob_and_a_missing_required_one_fails_clearly() {
    let ctx = context_with(
        "FROM busybox\nRUN --mount=type=secret,id=token,required cat /run/secrets/token > /dev/null && echo used > /used.txt\n",
    );
    let engine = Engine::with_busybox();
    let run = capstone_build(&engine, ctx.path(), &["-t", "nosecret"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("secret token is required: pass --secret id=token,src=FILE"),
        "{}",
        run.stderr
    );
    assert_nothing_left(&engine, "nosecret");

    let with = |var: &str| {
        let mut cmd = engine.command(&[
            "build",
            "-t",
            "withsecret",
            "--secret",
            "id=token,env=LAB_TOKEN",
        ]);
        cmd.arg(ctx.path()).env("LAB_TOKEN", var);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    with(SECRET);
    // Every blob of the store, decompressed where it is gzip: the secret is in none.
    let blobs = engine.root.path().join("images/blobs/sha256");
    for entry in std::fs::read_dir(&blobs).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = if bytes.starts_with(&[0x1f, 0x8b]) {
            let out = Command::new("gzip").arg("-dc").arg(&path).output().unwrap();
            out.stdout
        } else {
            bytes
        };
        assert!(
            !String::from_utf8_lossy(&text).contains(SECRET),
            "the secret is in blob {}",
            path.display()
        );
    }
}

#[test]
fn a_bind_mount_from_a_stage_reads_its_files_as_in_buildkit() {
    let ctx = context_with(
        "FROM busybox AS build\nRUN mkdir /out && echo built > /out/artefact\n\
         FROM busybox\nRUN --mount=type=bind,from=build,source=/out,target=/in cp /in/artefact /copied\n",
    );
    let b = Builders::new();
    let ctx_arg = ctx.path().to_str().unwrap();
    let ours = b.build_ours_with(ctx_arg, "bindfrom", &[], None);
    if b.dockerd.has_buildkit() {
        let theirs = b.build_docker_with(ctx_arg, "bindfrom-buildkit", true, &[], None);
        b.assert_same(&ours, "bindfrom-buildkit", &theirs);
    }
    let rootfs = b.dirs.path().join("ours/bundle/rootfs");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("copied")).unwrap(),
        "built\n"
    );
}

#[test]
fn a_locked_cache_is_used_by_one_step_at_a_time() {
    let engine = Engine::with_busybox();
    let ctx = context_with(
        "FROM busybox\nARG X\nRUN --mount=type=cache,target=/c,id=shared,sharing=locked \\\n    echo start $X >> /c/log && sleep 1 && echo end $X >> /c/log\n",
    );
    // Two builds at once, both wanting the cache.
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|x| {
            let arg = format!("X={x}");
            engine
                .command(&["build", "--build-arg", &arg, ctx.path().to_str().unwrap()])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let reader = context_with(
        "FROM busybox\nRUN --mount=type=cache,target=/c,id=shared cp /c/log /log.txt\n",
    );
    let run = capstone_build(&engine, reader.path(), &["-t", "log"]);
    assert_eq!(run.code, 0, "{run:?}");
    let log = engine.ok(&["run", "--rm", "--network", "none", "log", "cat", "/log.txt"]);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4, "{log}");
    // Each step's start is followed by its own end: the steps took turns.
    for pair in lines.chunks(2) {
        let x = pair[0]
            .strip_prefix("start ")
            .unwrap_or_else(|| panic!("{log}"));
        assert_eq!(pair[1], format!("end {x}"), "the steps overlapped: {log}");
    }
}
