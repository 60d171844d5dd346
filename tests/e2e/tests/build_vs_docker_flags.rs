//! `capstone build`'s flags against Docker's, with Debian's dockerd as the reference (see
//! `build_vs_docker.rs` for how the images are compared): `--label` and `--iidfile`, and a
//! Dockerfile on stdin (`build -`, `-f -`). Each case is built by us, by Docker's legacy
//! builder and by BuildKit, and the images must agree on config, layers and files. (`--pull`
//! is checked against the harness's registry alone: the dockerd's own network namespace
//! cannot reach a registry on the test's loopback.)

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

#[test]
fn copy_and_add_chmod_and_chown_as_buildkit() {
    let ctx = context_with(
        "FROM busybox\nCOPY --chmod=0640 present.txt /modes/file.txt\nCOPY --chmod=750 tree /modes/tree/\n\
         ADD --chown=1000:1000 --chmod=600 present.txt /added/owned.txt\n",
    );
    std::fs::create_dir_all(ctx.path().join("tree/sub")).unwrap();
    std::fs::write(ctx.path().join("tree/sub/deep.txt"), "deep\n").unwrap();
    let b = Builders::new();
    let ctx_arg = ctx.path().to_str().unwrap();
    let ours = b.build_ours_with(ctx_arg, "chmod", &[], None);
    // `--chmod` is BuildKit's (the legacy builder of 20.10 refuses it).
    if b.dockerd.has_buildkit() {
        let theirs = b.build_docker_with(ctx_arg, "chmod-buildkit", true, &[], None);
        b.assert_same(&ours, "chmod-buildkit", &theirs);
    }
    use std::os::unix::fs::MetadataExt;
    let rootfs = b.dirs.path().join("ours/bundle/rootfs");
    let mode = |p: &str| std::fs::metadata(rootfs.join(p)).unwrap().mode() & 0o7777;
    assert_eq!(mode("modes/file.txt"), 0o640);
    assert_eq!(mode("added/owned.txt"), 0o600);
    let owned = std::fs::metadata(rootfs.join("added/owned.txt")).unwrap();
    assert_eq!((owned.uid(), owned.gid()), (1000, 1000));
}

#[test]
fn a_dockerignore_beside_the_dockerfile_wins_as_in_buildkit() {
    let ctx = context_with("FROM busybox\nCOPY . /ctx/\n");
    std::fs::rename(
        ctx.path().join("Dockerfile"),
        ctx.path().join("app.Dockerfile"),
    )
    .unwrap();
    std::fs::write(ctx.path().join("a.txt"), "a\n").unwrap();
    std::fs::write(ctx.path().join("b.txt"), "b\n").unwrap();
    std::fs::write(ctx.path().join(".dockerignore"), "a.txt\n").unwrap();
    std::fs::write(ctx.path().join("app.Dockerfile.dockerignore"), "b.txt\n").unwrap();
    let b = Builders::new();
    let ctx_arg = ctx.path().to_str().unwrap();
    let dockerfile = ctx.path().join("app.Dockerfile");
    let flags = ["-f", dockerfile.to_str().unwrap()];
    let ours = b.build_ours_with(ctx_arg, "ignore", &flags, None);
    if b.dockerd.has_buildkit() {
        let theirs = b.build_docker_with(ctx_arg, "ignore-buildkit", true, &flags, None);
        b.assert_same(&ours, "ignore-buildkit", &theirs);
    }
    let rootfs = b.dirs.path().join("ours/bundle/rootfs");
    assert!(
        rootfs.join("ctx/a.txt").is_file(),
        "the context's .dockerignore was used"
    );
    assert!(
        !rootfs.join("ctx/b.txt").exists(),
        "app.Dockerfile.dockerignore was not used"
    );
}

#[test]
fn a_syntax_directive_is_noted_and_ignored() {
    let ctx = context_with("# syntax=docker/dockerfile:1.7\nFROM busybox\nENV A=1\n");
    let engine = capstone_support::Engine::with_busybox();
    let run = capstone_build(&engine, ctx.path(), &["-q", "-t", "syntax"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("note: `# syntax=docker/dockerfile:1.7` is ignored"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.trim().starts_with("sha256:"),
        "-q prints only the id: {}",
        run.stdout
    );
}

#[test]
fn pull_fetches_a_base_whose_tag_moved_and_without_it_the_stored_one_is_used() {
    use harness::registry::image::{OCI_LAYER_TAR, OciLayout};
    use harness::registry::{Auth, Registry};
    let registry = Registry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let mut layout = OciLayout::new(dir.path());
    let busybox = std::fs::read(capstone_support::busybox_tarball().path()).unwrap();
    let v1 = layout.image("amd64", None, std::slice::from_ref(&busybox), OCI_LAYER_TAR);
    let v1 = layout.name("v1", &v1);
    // v2: the same plus a layer holding /marker.
    let extra = dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("marker"), "v2\n").unwrap();
    let layer = dir.path().join("extra.tar");
    let tar = std::process::Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(&extra)
        .arg("-cf")
        .arg(&layer)
        .arg("marker")
        .status()
        .unwrap();
    assert!(tar.success());
    let v2 = layout.image(
        "amd64",
        None,
        &[busybox, std::fs::read(&layer).unwrap()],
        OCI_LAYER_TAR,
    );
    let v2 = layout.name("v2", &v2);
    registry.push_with_skopeo(&v1, "lab/base:latest", false);
    let base = format!("{}/lab/base:latest", registry.host());
    let ctx = context_with(&format!(
        "FROM {base}\nRUN cat /marker > /seen.txt 2>/dev/null || echo none > /seen.txt\n"
    ));
    let engine = capstone_support::Engine::new();
    let seen = |flags: &[&str]| {
        let mut args = vec!["-t", "pulled"];
        args.extend_from_slice(flags);
        let run = capstone_build(&engine, ctx.path(), &args);
        assert_eq!(run.code, 0, "{run:?}");
        engine.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "pulled",
            "cat",
            "/seen.txt",
        ])
    };
    assert_eq!(seen(&[]), "none\n", "the first build pulls v1");
    registry.push_with_skopeo(&v2, "lab/base:latest", false);
    assert_eq!(
        seen(&[]),
        "none\n",
        "without --pull the stored base is used"
    );
    assert_eq!(
        seen(&["--pull"]),
        "v2\n",
        "--pull did not fetch the moved tag"
    );
}

#[test]
fn output_exports_the_target_stage_files_as_buildkit_does() {
    let ctx = context_with(
        "FROM busybox AS build\nRUN mkdir -p /out && echo artefact > /out/app && chmod 750 /out/app && ln -s app /out/link\n\
         FROM scratch\nCOPY --from=build /out/ /\nCOPY present.txt /\n",
    );
    let b = Builders::new();
    let ctx_arg = ctx.path().to_str().unwrap();
    let dirs = b.dirs.path();
    let ours_dir = dirs.join("ours-local");
    let ours_tar = dirs.join("ours.tar");
    let local = format!("type=local,dest={}", ours_dir.display());
    let tar = format!("type=tar,dest={}", ours_tar.display());
    b.build_ours_with(ctx_arg, "exported", &["--output", &local], None);
    let run = capstone_build(&b.engine, ctx.path(), &["--output", &tar]);
    assert_eq!(run.code, 0, "{run:?}");
    // `dest=-`: the archive, and nothing else, on stdout.
    let out = b
        .engine
        .command(&["build", "--output", "type=tar,dest=-", ctx_arg])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout,
        std::fs::read(&ours_tar).unwrap(),
        "stdout is not the archive"
    );
    let untar = |archive: &std::path::Path, into: &std::path::Path| {
        std::fs::create_dir_all(into).unwrap();
        let ok = std::process::Command::new("tar")
            .arg("-xf")
            .arg(archive)
            .arg("-C")
            .arg(into)
            .status()
            .unwrap();
        assert!(ok.success());
    };
    untar(&ours_tar, &dirs.join("ours-untarred"));
    let tree = |p: &std::path::Path| overlay::tree::Tree::read(p).unwrap().without_mtimes();
    let ours = tree(&ours_dir);
    assert_eq!(
        ours.differences(&tree(&dirs.join("ours-untarred"))),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        std::fs::read_to_string(ours_dir.join("app")).unwrap(),
        "artefact\n"
    );
    assert_eq!(
        std::fs::read_link(ours_dir.join("link")).unwrap(),
        std::path::Path::new("app")
    );
    if b.dockerd.has_buildkit() {
        let theirs_dir = dirs.join("theirs-local");
        let theirs_tar = dirs.join("theirs.tar");
        for spec in [
            format!("type=local,dest={}", theirs_dir.display()),
            format!("type=tar,dest={}", theirs_tar.display()),
        ] {
            let mut cmd = b.dockerd.docker();
            cmd.env("DOCKER_BUILDKIT", "1").args([
                "build",
                "--network",
                "none",
                "--output",
                &spec,
                ctx_arg,
            ]);
            let out = cmd.output().unwrap();
            b.dockerd
                .expect_success(&["build", "--output", &spec], &out);
        }
        untar(&theirs_tar, &dirs.join("theirs-untarred"));
        assert_eq!(
            ours.differences(&tree(&theirs_dir)),
            Vec::<std::path::PathBuf>::new(),
            "local"
        );
        assert_eq!(
            ours.differences(&tree(&dirs.join("theirs-untarred"))),
            Vec::<std::path::PathBuf>::new(),
            "tar"
        );
    }
}

/// The `[i/n] INSTRUCTION` titles of BuildKit-style plain progress (`#N [i/n] …` lines).
fn titles(progress: &str) -> Vec<String> {
    progress
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(n, rest)| n.starts_with('#') && rest.starts_with('['))
        .map(|(_, rest)| rest.to_string())
        .collect()
}

#[test]
fn plain_progress_titles_the_steps_as_buildkit_does() {
    let ctx = context_with("FROM busybox\nENV A=1\nRUN echo hello\nCOPY present.txt /\n");
    let b = Builders::new();
    let build = |flags: &[&str]| {
        let mut args = vec!["-t", "progress"];
        args.extend_from_slice(flags);
        let run = capstone_build(&b.engine, ctx.path(), &args);
        assert_eq!(run.code, 0, "{run:?}");
        run
    };
    let first = build(&["--progress=plain"]);
    let ours = titles(&first.stderr);
    assert_eq!(
        ours,
        [
            "[1/3] FROM busybox",
            "[2/3] RUN echo hello",
            "[3/3] COPY present.txt /"
        ],
        "{}",
        first.stderr
    );
    assert!(
        first
            .stderr
            .lines()
            .any(|l| l.starts_with("#2 0.") && l.ends_with(" hello")),
        "RUN's output is numbered and timed: {}",
        first.stderr
    );
    assert!(first.stderr.contains("#2 DONE "), "{}", first.stderr);
    assert!(
        first.stdout.is_empty(),
        "plain progress goes to stderr: {}",
        first.stdout
    );
    let again = build(&["--progress=plain"]);
    assert!(
        again.stderr.contains("#2 CACHED\n") && again.stderr.contains("#3 CACHED\n"),
        "{}",
        again.stderr
    );
    let tty = build(&["--progress=tty"]);
    assert!(
        tty.stderr.contains("=> CACHED [2/3] RUN echo hello"),
        "{}",
        tty.stderr
    );
    if b.dockerd.has_buildkit() {
        let mut cmd = b.dockerd.docker();
        cmd.env("DOCKER_BUILDKIT", "1").args([
            "build",
            "--progress=plain",
            "--network",
            "none",
            ctx.path().to_str().unwrap(),
        ]);
        let out = cmd.output().unwrap();
        b.dockerd
            .expect_success(&["build", "--progress=plain"], &out);
        let theirs = titles(&String::from_utf8_lossy(&out.stderr));
        for title in &ours[1..] {
            assert!(
                theirs.contains(title),
                "BuildKit shows {theirs:?}, we show {title:?}"
            );
        }
    }
    let failing = context_with("FROM busybox\nRUN echo about to fail && exit 3\n");
    let run = capstone_build(&b.engine, failing.path(), &["--progress=plain"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("#2 ERROR: "), "{}", run.stderr);
}

#[test]
fn a_killed_build_leaves_the_store_usable_and_the_next_build_sweeps_its_mounts() {
    let engine = capstone_support::Engine::with_busybox();
    let ctx = context_with("FROM busybox\nRUN sleep 2 && echo slow > /slow.txt\n");
    let mut child = engine
        .command(&["build", "-t", "killed", ctx.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Poll (with a deadline) until the RUN step's overlay is mounted, then SIGKILL the build:
    // none of its guards run.
    let scratch = format!("{}/build-tmp/", engine.root.path().display());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !capstone_support::host_mounts().contains(&scratch) {
        assert!(
            std::time::Instant::now() < deadline,
            "the RUN step never started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended before it was killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        capstone_support::host_mounts().contains(&scratch),
        "the killed build left no mount: nothing to sweep"
    );
    // The next build sweeps, and the killed step was never recorded in the cache: it runs.
    let run = capstone_build(&engine, ctx.path(), &["-t", "after"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("CACHED"), "{}", run.stdout);
    assert_nothing_left(&engine, "killed");
    let out = engine.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "after",
        "cat",
        "/slow.txt",
    ]);
    assert_eq!(out, "slow\n");
}

#[test]
fn a_build_arg_without_a_value_comes_from_the_environment_as_in_docker() {
    let ctx = context_with(
        "FROM busybox\nARG LAB_FROM_ENV\nARG LAB_UNSET=default\nRUN echo \"$LAB_FROM_ENV ${LAB_UNSET}\" > /args.txt\n",
    );
    let b = Builders::new();
    let ctx_arg = ctx.path().to_str().unwrap();
    let flags = ["--build-arg", "LAB_FROM_ENV", "--build-arg", "LAB_UNSET"];
    let mut ours = b.engine.command(&["build", "-t", "envarg"]);
    ours.args(flags)
        .arg(ctx_arg)
        .env("LAB_FROM_ENV", "from-env")
        .env_remove("LAB_UNSET");
    let out = ours.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = unpack_ours(
        &b.engine,
        "docker.io/library/envarg:latest",
        &b.dirs.path().join("ours"),
    );
    let mut builders = vec![false];
    if b.dockerd.has_buildkit() {
        builders.push(true);
    }
    for buildkit in builders {
        let tag = format!("envarg-{}", if buildkit { "buildkit" } else { "legacy" });
        let mut cmd = b.dockerd.docker();
        if buildkit {
            cmd.env("DOCKER_BUILDKIT", "1");
        }
        cmd.args(["build", "--network", "none", "-t", &tag])
            .args(flags)
            .arg(ctx_arg)
            .env("LAB_FROM_ENV", "from-env")
            .env_remove("LAB_UNSET");
        let out = cmd.output().unwrap();
        b.dockerd.expect_success(&["build", &tag], &out);
        let theirs = b.unpack_docker(&tag);
        b.assert_same(&config, &tag, &theirs);
    }
    let rootfs = b.dirs.path().join("ours/bundle/rootfs");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("args.txt")).unwrap(),
        "from-env default\n"
    );
}
