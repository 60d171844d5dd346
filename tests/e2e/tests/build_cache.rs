//! `capstone build`'s cache and its errors, through the real binary: a rebuild with nothing
//! changed runs nothing; touching a copied file's mtime alone still hits; changing its content
//! misses from that step on; `--no-cache` runs everything. Bad input fails naming the
//! Dockerfile line, tags nothing, and leaves no scratch directory or mount behind.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;

use capstone_support::Engine;
use common::*;

/// For each step line of a build's output, whether the next line says CACHED.
fn cached_steps(stdout: &str) -> Vec<bool> {
    let lines: Vec<&str> = stdout.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("STEP") && !l.contains("FROM"))
        .map(|(i, _)| {
            lines
                .get(i + 1)
                .is_some_and(|n| n.starts_with("--> CACHED"))
        })
        .collect()
}

fn blob_count(engine: &Engine) -> usize {
    std::fs::read_dir(engine.root.path().join("images/blobs/sha256"))
        .unwrap()
        .count()
}

fn cache_context() -> tempfile::TempDir {
    let ctx = context_copy("cache");
    std::fs::write(ctx.path().join("input.txt"), "version one\n").unwrap();
    ctx
}

#[test]
fn rebuild_with_nothing_changed_runs_nothing() {
    let engine = Engine::with_busybox();
    let ctx = cache_context();
    let first = capstone_build(&engine, ctx.path(), &["-t", "c"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(cached_steps(&first.stdout), [false; 4]);
    let image = manifest_of(&engine, "docker.io/library/c:latest");
    let blobs = blob_count(&engine);

    let second = capstone_build(&engine, ctx.path(), &["-t", "c"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(cached_steps(&second.stdout), [true; 4], "{}", second.stdout);
    assert_eq!(
        manifest_of(&engine, "docker.io/library/c:latest"),
        image,
        "a cached rebuild must give the same image"
    );
    assert_eq!(
        blob_count(&engine),
        blobs,
        "a cached rebuild must store nothing new"
    );
}

#[test]
fn touching_mtime_hits_but_changed_content_misses_from_that_step_on() {
    let engine = Engine::with_busybox();
    let ctx = cache_context();
    assert_eq!(capstone_build(&engine, ctx.path(), &["-t", "c"]).code, 0);

    let input = ctx.path().join("input.txt");
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(86_400);
    std::fs::File::options()
        .write(true)
        .open(&input)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let touched = capstone_build(&engine, ctx.path(), &["-t", "c"]);
    assert_eq!(
        cached_steps(&touched.stdout),
        [true; 4],
        "mtime alone invalidated: {}",
        touched.stdout
    );

    std::fs::write(&input, "version two\n").unwrap();
    let changed = capstone_build(&engine, ctx.path(), &["-t", "c"]);
    assert_eq!(changed.code, 0, "{changed:?}");
    // RUN before the COPY still hits; the COPY and everything after it run again.
    assert_eq!(
        cached_steps(&changed.stdout),
        [true, false, false, false],
        "{}",
        changed.stdout
    );
    let run = engine.run(&["run", "--rm", "c", "cat", "/derived.txt"]);
    assert_eq!(run.stdout, "version two\n", "{run:?}");
}

#[test]
fn no_cache_runs_every_step() {
    let engine = Engine::with_busybox();
    let ctx = cache_context();
    assert_eq!(capstone_build(&engine, ctx.path(), &["-t", "c"]).code, 0);
    let again = capstone_build(&engine, ctx.path(), &["-t", "c", "--no-cache"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(cached_steps(&again.stdout), [false; 4]);
}

#[test]
fn bad_input_names_the_dockerfile_line() {
    let engine = Engine::with_busybox();
    let cases = [
        (
            "FROM busybox\nFETCH x\n",
            "dockerfile line 2: unknown instruction: FETCH",
        ),
        (
            "FROM busybox\nCOPY ../../etc/passwd /x\n",
            "outside the build context",
        ),
        (
            "FROM busybox\n\nCOPY missing.txt /x\n",
            "dockerfile line 3: COPY missing.txt /x: missing.txt: no such file",
        ),
        (
            "FROM no-such-image\n",
            "dockerfile line 1: FROM no-such-image: base image no-such-image",
        ),
        (
            "FROM busybox AS a\nCOPY --from=b /x /y\nFROM busybox AS b\nCOPY --from=a /x /y\n",
            "dockerfile line 2: undefined stage \"b\"",
        ),
    ];
    for (dockerfile, expected) in cases {
        let ctx = context_with(dockerfile);
        let run = capstone_build(&engine, ctx.path(), &["-t", "bad"]);
        assert_eq!(run.code, 1, "{dockerfile}: {run:?}");
        assert!(
            run.stderr.contains(expected),
            "{dockerfile}: expected {expected:?} in {}",
            run.stderr
        );
        assert_nothing_left(&engine, "bad");
    }
    let ctx = context_with("FROM busybox AS a\n");
    let run = capstone_build(&engine, ctx.path(), &["--target", "b"]);
    assert!(
        run.stderr
            .contains("invalid --target \"b\": no stage has that name"),
        "{}",
        run.stderr
    );
}
