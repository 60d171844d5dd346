//! What the workshop's tests share: a copy of the workspace to work on, so a test can make
//! holes and break code without touching the checkout.

#![allow(dead_code)] // each test file uses a part

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace this crate belongs to.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// Where the tests build the copies: apart from `target/debug`, whose `kit-grade` the
/// student's `cargo kit check` runs, and kept between runs.
pub fn test_target() -> PathBuf {
    workspace_root().join("target/kit-dev-check")
}

/// A copy of the workspace's source files (tracked and new, as `git ls-files` lists them)
/// in a new temporary directory, removed when dropped.
pub fn copy_workspace() -> tempfile::TempDir {
    let from = workspace_root();
    let to = tempfile::Builder::new()
        .prefix("kit-test-copy-")
        .tempdir()
        .unwrap();
    let out = Command::new("git")
        .arg("-C")
        .arg(&from)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .expect("git ls-files");
    for name in out.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let rel = Path::new(std::str::from_utf8(name).unwrap());
        let (src, dst) = (from.join(rel), to.path().join(rel));
        if src.is_file() {
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(&src, &dst).unwrap();
        }
    }
    // A checkout of its own, as a student's clone is: the kit takes references from git.
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(to.path())
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?} in the copy");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=kit",
        "-c",
        "user.email=kit@localhost",
        "commit",
        "-qm",
        "copy",
    ]);
    to
}

/// Runs the kit on `copy` with `args`, building into [`test_target`].
pub fn kit(copy: &Path, args: &[&str]) -> std::process::Output {
    kit_with(Command::new(env!("CARGO_BIN_EXE_workshop")), copy, args)
}

/// `kit`, through a command the caller prepared (the kit's binary, e.g. in a namespace).
pub fn kit_with(mut command: Command, copy: &Path, args: &[&str]) -> std::process::Output {
    command
        .arg("--root")
        .arg(copy)
        .args(args)
        .env("CARGO_TARGET_DIR", test_target())
        .output()
        .expect("run the kit")
}

/// A copy of the workspace where exercise `id`'s region holds code that does not compile
/// (a type error, E0308).
pub fn copy_that_does_not_compile(id: &str) -> tempfile::TempDir {
    let copy = copy_workspace();
    let ws = workshop::bench::Workspace {
        root: copy.path().to_path_buf(),
    };
    let catalogue = workshop::catalogue::Catalogue::load(copy.path()).unwrap();
    ws.fill(
        catalogue.get(id).unwrap(),
        "let broken: u32 = \"not a number\";",
    )
    .unwrap();
    copy
}
