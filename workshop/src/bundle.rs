//! `cargo kit bundle`: the images the workshop uses, in one file for a USB stick.
//!
//! The list is `workshop/bundle.toml`. The work is done by `kit-bundle` (workshop/bundle),
//! a program of its own because it links lessons 04 and 05 (the kit itself never does: it
//! must run while a student's lesson code does not compile). Like `check`, the kit builds it
//! with cargo, then runs it.

use crate::bench::Workspace;
use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `workshop/bundle.toml`: the images to save.
#[derive(Debug, Deserialize)]
pub struct BundleList {
    /// Full image references, e.g. `docker.io/library/busybox:latest`.
    pub images: Vec<String>,
}

impl BundleList {
    /// Reads `workshop/bundle.toml` of `ws`.
    pub fn load(ws: &Workspace) -> anyhow::Result<BundleList> {
        let path = ws.root.join("workshop/bundle.toml");
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parse {}", path.display()))
    }
}

/// Builds `kit-bundle` (cargo's own output shown, so a slow first build is not a mystery)
/// and returns a command that runs it. `KIT_BUNDLE_BIN`, if set, names a `kit-bundle` already
/// built (the tests pass the workspace's own, which `cargo build --workspace` made).
pub fn tool(ws: &Workspace) -> anyhow::Result<Command> {
    if let Some(bin) = std::env::var_os("KIT_BUNDLE_BIN") {
        let mut command = Command::new(bin);
        command.current_dir(&ws.root);
        return Ok(command);
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&ws.root)
        .args(["build", "-q", "-p", "kit-bundle"])
        .status()
        .context("run cargo build -p kit-bundle")?;
    anyhow::ensure!(
        status.success(),
        "kit-bundle does not build ({status}): lessons 04 and 05 must compile — `cargo kit reset` puts their references back"
    );
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| ws.root.join("target"), PathBuf::from);
    let mut command = Command::new(target.join("debug/kit-bundle"));
    command.current_dir(&ws.root);
    Ok(command)
}

/// `cargo kit bundle create FILE`: saves `images` (workshop/bundle.toml's when empty), pulling
/// docker.io images through `mirror` if given. Returns whether it succeeded.
pub fn create(
    ws: &Workspace,
    file: &Path,
    images: Vec<String>,
    mirror: Option<String>,
) -> anyhow::Result<bool> {
    let images = if images.is_empty() {
        BundleList::load(ws)?.images
    } else {
        images
    };
    let mut tool = tool(ws)?;
    // The tool runs in the workspace root: a relative FILE must mean the caller's directory.
    tool.arg("create").arg(std::path::absolute(file)?);
    for image in images {
        tool.args(["--image", &image]);
    }
    tool.args(mirror.map(|m| format!("--mirror={m}")));
    Ok(tool.status()?.success())
}

/// `cargo kit bundle load FILE`: pushes every image of `file` to `registry` (HOST:PORT).
pub fn load(ws: &Workspace, file: &Path, registry: &str) -> anyhow::Result<bool> {
    let mut tool = tool(ws)?;
    tool.arg("load")
        .arg(std::path::absolute(file)?)
        .args(["--registry", registry]);
    Ok(tool.status()?.success())
}
