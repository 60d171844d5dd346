//! A bundle: a directory with the runtime spec's `config.json` and the root filesystem it
//! names (runtime-spec `bundle.md`). Reading it is the first thing `create` and `run` do;
//! a mistake is refused with the JSON path of the field at fault, before anything is made.

use anyhow::{Context, Result, bail};
use oci_spec::runtime::{LinuxNamespaceType, Spec};
use std::path::{Path, PathBuf};

/// A bundle read from disk: its absolute directory, its spec, and its root filesystem.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The bundle's directory, absolute (the state JSON's `bundle`).
    pub dir: PathBuf,
    /// `config.json`, parsed with the `oci-spec` crate.
    pub spec: Spec,
    /// `root.path`, made absolute against the bundle (the state JSON's `rootfs`).
    pub rootfs: PathBuf,
}

/// Reads `dir/config.json`. A field of the wrong type or value is named by its JSON path
/// (`process.user.uid: invalid type…`), so the caller knows what to fix.
pub fn load(dir: &Path) -> Result<Bundle> {
    let dir = std::fs::canonicalize(dir)
        .with_context(|| format!("bundle {}: no such directory", dir.display()))?;
    let path = dir.join("config.json");
    let text = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
    let de = &mut serde_json::Deserializer::from_slice(&text);
    let spec: Spec = serde_path_to_error::deserialize(de)
        .map_err(|e| anyhow::anyhow!("{}: field `{}`: {}", path.display(), e.path(), e.inner()))?;
    check(&spec, &path)?;
    let root = spec.root().as_ref().map(|r| r.path().clone());
    let Some(root) = root else {
        bail!("{}: field `root.path` is missing", path.display());
    };
    let rootfs = if root.is_absolute() {
        root
    } else {
        dir.join(root)
    };
    if !rootfs.is_dir() {
        bail!(
            "{}: field `root.path`: {} is not a directory",
            path.display(),
            rootfs.display()
        );
    }
    Ok(Bundle { dir, spec, rootfs })
}

/// What the parser cannot see: a process with no command, a user namespace (not offered).
fn check(spec: &Spec, path: &Path) -> Result<()> {
    let args = spec.process().as_ref().and_then(|p| p.args().clone());
    if args.is_none_or(|a| a.is_empty()) {
        bail!(
            "{}: field `process.args` must name a command",
            path.display()
        );
    }
    if namespace_types(spec).contains(&LinuxNamespaceType::User) {
        bail!(
            "{}: field `linux.namespaces`: a user namespace is not supported by capstone-runtime",
            path.display()
        );
    }
    Ok(())
}

/// The namespace kinds `linux.namespaces` lists, with or without a path.
pub fn namespace_types(spec: &Spec) -> Vec<LinuxNamespaceType> {
    spec.linux()
        .as_ref()
        .and_then(|l| l.namespaces().clone())
        .unwrap_or_default()
        .iter()
        .map(|n| n.typ())
        .collect()
}

/// The spec's annotations, empty when it has none.
pub fn annotations(spec: &Spec) -> std::collections::HashMap<String, String> {
    spec.annotations().clone().unwrap_or_default()
}

/// `linux.cgroupsPath`, or `/ID` as runc makes when none is given (flat: no parent
/// directory is left behind when it is removed).
pub fn cgroups_path(spec: &Spec, id: &str) -> String {
    spec.linux()
        .as_ref()
        .and_then(|l| l.cgroups_path().clone())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("/{id}"))
}
