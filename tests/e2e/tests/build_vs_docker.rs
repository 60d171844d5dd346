//! `capstone build` against Docker's own builders: Debian's dockerd 20.10, started by the
//! harness in namespaces and directories of its own ([`harness::dockerd`]), with the very
//! busybox image our engine has (`capstone save`, then `docker load`). The same Dockerfile is
//! built by `capstone build`, by Docker's legacy builder, and by BuildKit (`DOCKER_BUILDKIT=1`
//! with Debian's 20.10 client); each result is read back with software none of the builders
//! share — `docker save` → `skopeo copy` → `umoci unpack` for Docker's, `umoci unpack` for
//! ours — and the images must agree on their configs (Env, Cmd, User, Volumes, …), their
//! number of layers, and their root file systems file by file (names, types, modes, owners,
//! contents, link targets; not mtimes).
//!
//! The corpus `tests/dockerfiles/docker-diffs/` holds the five places where our builder once
//! differed from Docker's (issue 17): archives `ADD` unpacks, `HOME` in `RUN`, `PATH` in a
//! `FROM scratch` image, the owner of the directories `COPY --chown` creates, and a `VOLUME`
//! that makes no directory. Each is also asserted on our image directly, so a change that
//! broke both builders' agreement and the behaviour would still be caught.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;
#[path = "dockerfiles/docker.rs"]
mod docker;

use common::*;
use docker::Builders;
use serde_json::json;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

/// The archives the corpus `ADD`s, made with GNU tar (owners 123:456 recorded) and the
/// compressors from Debian (gzip, bzip2, xz-utils); and two compressed files that are not tars.
fn make_archives(ctx: &Path) {
    let src = ctx.join("archive-src");
    std::fs::create_dir_all(src.join("inner")).unwrap();
    std::fs::write(src.join("inner/from-archive.txt"), "from an archive\n").unwrap();
    std::fs::write(src.join("top.txt"), "top\n").unwrap();
    for (name, flag) in [
        ("arch.tar", None),
        ("arch.tar.gz", Some("-z")),
        ("arch.tar.bz2", Some("-j")),
        ("arch.tar.xz", Some("-J")),
        ("disguised.bin", Some("-J")),
    ] {
        let mut tar = Command::new("tar");
        tar.args(["--numeric-owner", "--owner=123", "--group=456", "-C"])
            .arg(&src)
            .args(flag)
            .arg("-cf")
            .arg(ctx.join(name))
            .arg(".");
        assert!(tar.status().unwrap().success(), "tar {name}");
    }
    std::fs::remove_dir_all(src).unwrap();
    for (name, compressor) in [("text.gz", "gzip"), ("text.xz", "xz")] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "printf 'not a tar\\n' | {compressor} -c > '{name}'"
            ))
            .current_dir(ctx)
            .status()
            .unwrap();
        assert!(out.success(), "{compressor}");
    }
}

#[test]
fn the_five_differences_are_gone_legacy_builder_and_buildkit_agree() {
    let ctx = context_copy("docker-diffs");
    make_archives(ctx.path());
    let builders = Builders::new();
    let (config, rootfs) = builders.build_all_and_compare(ctx.path(), "diffs");

    // 1. Every archive is unpacked, whatever its name; compressed text is copied as it is.
    for dir in ["plain", "gz", "bz2", "xz", "disguised"] {
        let inner = rootfs.join(dir).join("inner/from-archive.txt");
        assert_eq!(
            std::fs::read_to_string(&inner).unwrap_or_default(),
            "from an archive\n",
            "ADD did not unpack into /{dir}"
        );
        assert_eq!(
            std::fs::metadata(&inner).unwrap().uid(),
            123,
            "{dir}: owner kept"
        );
        // The archive's own `./` (123:456) is skipped: the directory ADD made stays root's.
        let made = std::fs::metadata(rootfs.join(dir)).unwrap();
        assert_eq!((made.uid(), made.mode() & 0o7777), (0, 0o755), "/{dir}");
    }
    assert!(rootfs.join("compressed/text.gz").is_file());
    assert!(rootfs.join("compressed/text.xz").is_file());
    // 2. HOME from /etc/passwd.
    let read = |p: &str| std::fs::read_to_string(rootfs.join(p)).unwrap();
    assert_eq!(read("home-root.txt"), "/root\n");
    assert_eq!(read("tmp/home-nobody.txt"), "/home\n");
    assert_eq!(read("tmp/home-1234.txt"), "/\n");
    // 4. The directories COPY --chown created are the user's.
    for dir in ["new", "new/deeper"] {
        let meta = std::fs::metadata(rootfs.join(dir)).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (1000, 1000), "/{dir}");
    }
    // 5. VOLUME: in the config, not in the file system.
    assert_eq!(
        config["config"]["Volumes"],
        json!({ "/data": {}, "/tmp/vol": {} })
    );
    assert!(!rootfs.join("data").exists(), "VOLUME created /data");
    assert!(!rootfs.join("tmp/vol").exists(), "VOLUME created /tmp/vol");
}

#[test]
fn from_scratch_has_the_default_path_as_in_docker() {
    let ctx = context_with("FROM scratch\nCOPY present.txt /\n");
    let builders = Builders::new();
    let (config, rootfs) = builders.build_all_and_compare(ctx.path(), "scratch-path");
    // 3. The default PATH, and nothing else, in the config.
    assert_eq!(
        config["config"]["Env"],
        json!(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    );
    assert!(rootfs.join("present.txt").is_file());
}

#[test]
fn copy_chown_of_a_directory_owns_the_parents_it_creates_as_buildkit_does() {
    let ctx = context_with("FROM busybox\nCOPY --chown=1000:1000 tree /n1/n2/\n");
    std::fs::create_dir_all(ctx.path().join("tree/sub")).unwrap();
    std::fs::write(ctx.path().join("tree/sub/f.txt"), "f\n").unwrap();
    let builders = Builders::new();
    let ours = builders.build_ours(ctx.path(), "chown-dir");
    if builders.dockerd.has_buildkit() {
        let buildkit = builders.build_docker(ctx.path(), "chown-dir-buildkit", true);
        builders.assert_same(&ours, "chown-dir-buildkit", &buildkit);
    }
    // The legacy builder differs in one place only: it leaves the outer new directory to root.
    builders.build_docker(ctx.path(), "chown-dir-legacy", false);
    let dirs = builders.dirs.path();
    let differences =
        rootfs(&dirs.join("ours")).differences(&rootfs(&dirs.join("chown-dir-legacy")));
    assert_eq!(differences, vec![Path::new("n1").to_path_buf()]);
    let rootfs = dirs.join("ours/bundle/rootfs");
    for dir in ["n1", "n1/n2", "n1/n2/sub"] {
        let meta = std::fs::metadata(rootfs.join(dir)).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (1000, 1000), "/{dir}");
    }
}

#[test]
fn platform_args_are_predefined_as_in_buildkit() {
    let ctx = context_with(
        "FROM --platform=$BUILDPLATFORM busybox\nARG TARGETARCH\nARG TARGETPLATFORM\nARG BUILDOS\n\
         RUN echo \"$TARGETARCH $TARGETPLATFORM $BUILDOS ${TARGETVARIANT:-undeclared}\" > /platform.txt\n",
    );
    let builders = Builders::new();
    let ours = builders.build_ours(ctx.path(), "platform");
    // The legacy builder of 20.10 predates these ARGs: BuildKit is the reference.
    if builders.dockerd.has_buildkit() {
        let theirs = builders.build_docker(ctx.path(), "platform-buildkit", true);
        builders.assert_same(&ours, "platform-buildkit", &theirs);
    }
    let rootfs = builders.dirs.path().join("ours/bundle/rootfs");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("platform.txt")).unwrap(),
        "amd64 linux/amd64 linux undeclared\n"
    );
}
