//! Building with Docker's own builders for comparison: a [`Builders`] holds our engine and a
//! dockerd of the test's own ([`harness::dockerd`]), both with the same busybox image
//! (`capstone save`, then `docker load`). Docker's images are read back through `docker save`,
//! `skopeo copy` and `umoci unpack`; ours through `umoci unpack` ([`super::common`]).
#![allow(dead_code)]

use crate::capstone_support::Engine;
use crate::common::*;
use harness::dockerd::Dockerd;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Our engine and a dockerd, both holding the same busybox image.
pub struct Builders {
    pub engine: Engine,
    pub dockerd: Dockerd,
    pub dirs: tempfile::TempDir,
}

impl Builders {
    pub fn new() -> Builders {
        let engine = Engine::with_busybox();
        let dockerd = Dockerd::start();
        let dirs = tempfile::Builder::new()
            .prefix("build-vs-docker-")
            .tempdir()
            .unwrap();
        let archive = dirs.path().join("busybox.tar");
        engine.ok(&["save", "-o", archive.to_str().unwrap(), "busybox"]);
        dockerd.load(&archive);
        Builders {
            engine,
            dockerd,
            dirs,
        }
    }

    /// `capstone build -t NAME CTX`; returns our image's config, unpacked in `<dirs>/ours`.
    pub fn build_ours(&self, ctx: &Path, name: &str) -> Value {
        self.build_ours_with(ctx.to_str().unwrap(), name, &[], None)
    }

    /// `capstone build -t NAME EXTRA… CTX` (`CTX` may be `-`), with `stdin` on its stdin.
    pub fn build_ours_with(
        &self,
        ctx: &str,
        name: &str,
        extra: &[&str],
        stdin: Option<&str>,
    ) -> Value {
        let mut args = vec!["build", "-t", name];
        args.extend_from_slice(extra);
        args.push(ctx);
        let run = match stdin {
            Some(input) => self.engine.run_with_stdin(&args, input),
            None => self.engine.run(&args),
        };
        assert_eq!(run.code, 0, "capstone build: {run:?}");
        unpack_ours(
            &self.engine,
            &format!("docker.io/library/{name}:latest"),
            &self.dirs.path().join("ours"),
        )
    }

    /// `docker build --network none -t TAG CTX` with the legacy builder or BuildKit; returns
    /// the image's config (as our config blob nests it: `{"config": …, "rootfs": …}`),
    /// unpacked in `<dirs>/TAG`.
    pub fn build_docker(&self, ctx: &Path, tag: &str, buildkit: bool) -> Value {
        self.build_docker_with(ctx.to_str().unwrap(), tag, buildkit, &[], None)
    }

    /// The same with `EXTRA…` flags before `CTX` (which may be `-`) and `stdin` on its stdin.
    pub fn build_docker_with(
        &self,
        ctx: &str,
        tag: &str,
        buildkit: bool,
        extra: &[&str],
        stdin: Option<&str>,
    ) -> Value {
        let mut args = vec!["build", "--network", "none", "-t", tag];
        args.extend_from_slice(extra);
        args.push(ctx);
        let mut cmd = self.dockerd.docker();
        if buildkit {
            cmd.env("DOCKER_BUILDKIT", "1");
        }
        cmd.args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run docker build");
        let input = child.stdin.take().expect("piped stdin");
        if let Some(text) = stdin {
            let mut input = input;
            input
                .write_all(text.as_bytes())
                .expect("write docker's stdin");
        }
        let out = child.wait_with_output().expect("wait for docker build");
        self.dockerd.expect_success(&args, &out);
        self.unpack_docker(tag)
    }

    /// Docker's image `tag` unpacked in `<dirs>/TAG` (`docker save` → `skopeo copy` → `umoci
    /// unpack`); returns its config as our config blob nests it.
    pub fn unpack_docker(&self, tag: &str) -> Value {
        let dest = self.dirs.path().join(tag);
        std::fs::create_dir_all(&dest).unwrap();
        let saved = dest.join("saved.tar");
        self.dockerd.save(tag, &saved);
        let layout = dest.join("layout");
        let copied = Command::new("skopeo")
            .args(["copy", "--quiet"])
            .arg(format!("docker-archive:{}", saved.display()))
            .arg(format!("oci:{}:t", layout.display()))
            .output()
            .expect("run skopeo");
        assert!(
            copied.status.success(),
            "skopeo copy: {}",
            String::from_utf8_lossy(&copied.stderr)
        );
        let unpacked = Command::new("umoci")
            .arg("unpack")
            .arg("--image")
            .arg(format!("{}:t", layout.display()))
            .arg(dest.join("bundle"))
            .output()
            .expect("run umoci");
        assert!(
            unpacked.status.success(),
            "umoci unpack: {}",
            String::from_utf8_lossy(&unpacked.stderr)
        );
        let inspect = self.dockerd.inspect(tag);
        json!({ "config": inspect["Config"], "rootfs": { "diff_ids": inspect["RootFS"]["Layers"] } })
    }

    /// Compares our image with Docker's `tag`: configs, layer counts, root file systems.
    /// One difference between Docker's own builders is let through: BuildKit gives a
    /// `FROM scratch` image the `WorkingDir` `/` (as we do), the legacy builder none.
    pub fn assert_same(&self, ours: &Value, tag: &str, theirs: &Value) {
        let mut expected = compared_config(theirs);
        let unset = |c: &Value| c["config"]["WorkingDir"].as_str().unwrap_or("").is_empty();
        if tag.ends_with("-legacy") && unset(theirs) && ours["config"]["WorkingDir"] == "/" {
            for (key, value) in &mut expected {
                if *key == "WorkingDir" {
                    *value = json!("/");
                }
            }
        }
        assert_eq!(
            compared_config(ours),
            expected,
            "image configs differ from docker's {tag}"
        );
        let layers = |c: &Value| c["rootfs"]["diff_ids"].as_array().map_or(0, Vec::len);
        assert_eq!(
            layers(ours),
            layers(theirs),
            "layer count differs from {tag}"
        );
        let differences = rootfs(&self.dirs.path().join("ours"))
            .differences(&rootfs(&self.dirs.path().join(tag)));
        assert!(
            differences.is_empty(),
            "root file system differs from docker's {tag} at {differences:?}"
        );
    }

    /// Builds `ctx` with us and with each of Docker's builders and compares; returns our
    /// config and our unpacked root file system's path.
    pub fn build_all_and_compare(&self, ctx: &Path, name: &str) -> (Value, PathBuf) {
        let ours = self.build_ours(ctx, name);
        let legacy = self.build_docker(ctx, &format!("{name}-legacy"), false);
        self.assert_same(&ours, &format!("{name}-legacy"), &legacy);
        if self.dockerd.has_buildkit() {
            let buildkit = self.build_docker(ctx, &format!("{name}-buildkit"), true);
            self.assert_same(&ours, &format!("{name}-buildkit"), &buildkit);
        } else {
            eprintln!(
                "note: this docker client has no built-in BuildKit; compared with the legacy builder only"
            );
        }
        (ours, self.dirs.path().join("ours/bundle/rootfs"))
    }
}
