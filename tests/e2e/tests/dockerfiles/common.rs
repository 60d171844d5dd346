//! What the build tests share: building a corpus directory with `capstone build` and with
//! `buildah bud` (Debian's buildah, `--isolation chroot` on vfs storage in a temporary root),
//! both starting from the same busybox tarball, and reading each result back with software we
//! did not write — `umoci unpack` for the root file systems.
#![allow(dead_code)]

use crate::capstone_support::{Engine, busybox_tarball, host_mounts};
use overlay::tree::Tree;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The corpus directory of Dockerfiles.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/dockerfiles")
        .join(name)
}

/// A copy of a corpus directory in a temporary dir (tests change files, and make archives).
pub fn context_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("build-ctx-")
        .tempdir()
        .unwrap();
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", corpus(name).display()))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

/// A fresh context holding only `dockerfile` (and `present.txt`, for COPY cases).
pub fn context_with(dockerfile: &str) -> tempfile::TempDir {
    let ctx = tempfile::Builder::new()
        .prefix("build-ctx-")
        .tempdir()
        .unwrap();
    std::fs::write(ctx.path().join("Dockerfile"), dockerfile).unwrap();
    std::fs::write(ctx.path().join("present.txt"), "here\n").unwrap();
    ctx
}

/// Nothing of a failed build may remain: no tag, no scratch dir, no mount under the root.
pub fn assert_nothing_left(engine: &Engine, tag: &str) {
    let images = engine.ok(&["images"]);
    assert!(images.starts_with("REPOSITORY"), "{images}");
    assert!(
        !images
            .lines()
            .any(|l| l.split_whitespace().next() == Some(tag)),
        "a failed build was tagged: {images}"
    );
    let scratch = engine.root.path().join("build-tmp");
    let left: Vec<_> = std::fs::read_dir(&scratch)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "scratch left behind: {left:?}");
    let root = engine.root.path().to_str().unwrap().to_string();
    assert!(
        !host_mounts().contains(&root),
        "a mount under the engine root was left behind"
    );
}

/// `ADD archive.tar`'s archive: made with GNU tar, owners numeric.
pub fn make_archive(ctx: &Path) {
    let src = ctx.join("archive-src");
    std::fs::create_dir_all(src.join("inner")).unwrap();
    std::fs::write(src.join("inner/from-tar.txt"), "from a tarball\n").unwrap();
    std::fs::write(src.join("top.txt"), "top\n").unwrap();
    let status = Command::new("tar")
        .args(["--numeric-owner", "--owner=123", "--group=456", "-C"])
        .arg(&src)
        .arg("-cf")
        .arg(ctx.join("archive.tar"))
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_dir_all(src).unwrap();
}

/// `capstone build` in `engine` (which has busybox imported); returns the whole output.
pub fn capstone_build(engine: &Engine, ctx: &Path, extra: &[&str]) -> crate::capstone_support::Run {
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    let ctx = ctx.to_str().unwrap().to_string();
    args.push(&ctx);
    engine.run(&args)
}

/// The manifest digest a tag points at in the engine's store (`<root>/images/tags.json`).
pub fn manifest_of(engine: &Engine, full_ref: &str) -> String {
    let tags: Value = serde_json::from_slice(
        &std::fs::read(engine.root.path().join("images/tags.json")).unwrap(),
    )
    .unwrap();
    let digest = &tags[full_ref];
    digest
        .as_str()
        .or_else(|| digest["digest"].as_str())
        .unwrap_or_else(|| panic!("{full_ref} not tagged: {tags}"))
        .to_string()
}

/// Our image as an OCI layout (the store's blobs, linked), unpacked by umoci into `dest`.
pub fn unpack_ours(engine: &Engine, full_ref: &str, dest: &Path) -> Value {
    let manifest = manifest_of(engine, full_ref);
    let layout = dest.join("layout");
    std::fs::create_dir_all(&layout).unwrap();
    std::os::unix::fs::symlink(
        engine.root.path().join("images/blobs"),
        layout.join("blobs"),
    )
    .unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let blob = |d: &str| engine.blob_path(d);
    let size = std::fs::metadata(blob(&manifest)).unwrap().len();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest, "size": size,
        "annotations": {"org.opencontainers.image.ref.name": "t"}}]});
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    umoci_unpack(&layout, &dest.join("bundle"));
    let m: Value = serde_json::from_slice(&std::fs::read(blob(&manifest)).unwrap()).unwrap();
    serde_json::from_slice(&std::fs::read(blob(m["config"]["digest"].as_str().unwrap())).unwrap())
        .unwrap()
}

fn umoci_unpack(layout: &Path, bundle: &Path) {
    let out = Command::new("umoci")
        .arg("unpack")
        .arg("--image")
        .arg(format!("{}:t", layout.display()))
        .arg(bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "umoci unpack: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A buildah with its own storage, removed when dropped.
pub struct Buildah {
    pub dir: tempfile::TempDir,
    /// `vfs` (plain copies, works everywhere) or `overlay` (what buildah uses for speed).
    pub driver: &'static str,
}

impl Buildah {
    /// A fresh buildah store (vfs) holding `busybox` built from the same tarball as ours.
    pub fn with_busybox() -> Buildah {
        Buildah::with_busybox_on("vfs")
    }

    /// The same on a chosen storage driver.
    pub fn with_busybox_on(driver: &'static str) -> Buildah {
        let b = Buildah {
            dir: tempfile::Builder::new()
                .prefix("buildah-")
                .tempdir()
                .unwrap(),
            driver,
        };
        let ctx = b.dir.path().join("base");
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::copy(busybox_tarball().path(), ctx.join("busybox.tar")).unwrap();
        // The same config `capstone import --change 'CMD ["sh"]'` gives ours.
        std::fs::write(ctx.join("Dockerfile"), "FROM scratch\nADD busybox.tar /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD [\"sh\"]\n").unwrap();
        let out = b.bud(&ctx, &["-t", "docker.io/library/busybox:latest"]);
        assert!(
            out.status.success(),
            "buildah base: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        b
    }

    /// `buildah` with this store's flags.
    pub fn command(&self) -> Command {
        let mut c = Command::new("buildah");
        c.arg("--root").arg(self.dir.path().join("root"));
        c.arg("--runroot").arg(self.dir.path().join("runroot"));
        c.args(["--storage-driver", self.driver]);
        c
    }

    /// `buildah bud --isolation chroot --pull=never --layers --format docker … CTX` (Docker
    /// format: the OCI format has no place for ONBUILD triggers, so buildah would drop them).
    pub fn bud(&self, ctx: &Path, extra: &[&str]) -> std::process::Output {
        let mut c = self.command();
        c.args([
            "bud",
            "--isolation",
            "chroot",
            "--pull=never",
            "--layers",
            "--format",
            "docker",
        ])
        .args(extra)
        .arg(ctx);
        c.output().unwrap()
    }

    /// The image pushed to an OCI layout and unpacked by umoci into `dest`; returns its config.
    pub fn unpack(&self, image: &str, dest: &Path) -> Value {
        let layout = dest.join("layout");
        std::fs::create_dir_all(dest).unwrap();
        let out = self
            .command()
            .args(["push", image])
            .arg(format!("oci:{}:t", layout.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "buildah push: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        umoci_unpack(&layout, &dest.join("bundle"));
        let index: Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let blob = |d: &str| {
            layout
                .join("blobs/sha256")
                .join(d.trim_start_matches("sha256:"))
        };
        let m: Value = serde_json::from_slice(
            &std::fs::read(blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        serde_json::from_slice(
            &std::fs::read(blob(m["config"]["digest"].as_str().unwrap())).unwrap(),
        )
        .unwrap()
    }
}

impl Drop for Buildah {
    fn drop(&mut self) {
        // vfs layers may hold read-only dirs; buildah's own cleanup first, then the dir.
        let _ = self.command().args(["rm", "--all"]).output();
        let _ = self.command().args(["rmi", "--all", "--force"]).output();
    }
}

/// The config fields both builders must agree on, with "absent", `null` and empty the same.
pub fn compared_config(config: &Value) -> Vec<(&'static str, Value)> {
    let c = &config["config"];
    [
        "Env",
        "Cmd",
        "Entrypoint",
        "WorkingDir",
        "User",
        "ExposedPorts",
        "Labels",
        "Volumes",
        "StopSignal",
    ]
    .into_iter()
    .map(|k| {
        let v = match &c[k] {
            Value::Array(a) if a.is_empty() => Value::Null,
            Value::Object(o) if o.is_empty() => Value::Null,
            Value::String(s) if s.is_empty() => Value::Null,
            v => v.clone(),
        };
        (k, v)
    })
    .collect()
}

/// A root file system read for comparison (mtimes dropped: they legitimately differ).
pub fn rootfs(bundle_parent: &Path) -> Tree {
    Tree::read(&bundle_parent.join("bundle/rootfs"))
        .unwrap()
        .without_mtimes()
}
