//! The steps that change the file system, each making one layer: `RUN` (a container on an
//! overlay, [`super::run`]), `COPY`/`ADD` (files into an empty directory, [`super::copy`]), and
//! `WORKDIR`/`VOLUME` when their directory does not exist yet.

use super::context::SourceRoot;
use super::copy::{CopyPlan, copy_into_layer, image_relative};
use super::dockerfile::{Command, CopyArgs, Step};
use super::executor::StageRun;
use super::fetch;
use super::run::{RunSpec, Scratch, run_step};
use super::snapshot::{Snapshot, write_layer};
use super::stages::{Base, resolve};
use super::steps::{NOP, map_insert, step_error, to_argv};
use crate::{Error, Result};
use images::digest::Hasher;
use overlay::lowers::LowerStack;
use serde_json::json;

impl StageRun<'_, '_> {
    /// `WORKDIR`: relative paths build on the previous one; the directory is created (as a
    /// layer) when the image does not have it yet.
    pub(super) fn workdir(&mut self, step: &Step, path: &str) -> Result<()> {
        let path = self.expand(step, path)?;
        let joined = if path.starts_with('/') {
            path
        } else {
            format!("{}/{path}", self.snap.field("WorkingDir"))
        };
        let clean = format!("/{}", image_relative(&joined).display());
        let created_by = format!("{NOP} WORKDIR {clean}");
        let lowers = self.lowers()?;
        let exists = LowerStack::new(lowers.iter())
            .lookup(&image_relative(&clean))?
            .is_some();
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&created_by, &created_by, None, |run, next| {
            next.process().insert("WorkingDir".into(), json!(clean));
            if exists || clean == "/" {
                return Ok(None);
            }
            let scratch = Scratch::new(&scratch_dir)?;
            let layer = scratch.sub("layer")?;
            mkdirs(
                &layer,
                &image_relative(&clean),
                &LowerStack::new(lowers.iter()),
            )
            .map_err(|why| step_error(step, why))?;
            Ok(Some(write_layer(&run.b.store, &layer)?))
        })
    }

    /// `VOLUME`: recorded in the config; missing directories are created in a layer (as
    /// buildah and the classic Docker builder do), so the mount point exists.
    pub(super) fn volume(&mut self, step: &Step, list: &[String]) -> Result<()> {
        let mut paths = Vec::new();
        for v in list {
            paths.push(self.expand(step, v)?);
        }
        if paths.iter().any(String::is_empty) {
            return Err(Error::dockerfile(
                step.line,
                "VOLUME specified can not be an empty string",
            ));
        }
        let created_by = format!("{NOP} VOLUME [{}]", paths.join(" "));
        let lowers = self.lowers()?;
        let stack = LowerStack::new(lowers.iter());
        let mut missing = Vec::new();
        for p in &paths {
            if stack.lookup(&image_relative(p))?.is_none() {
                missing.push(image_relative(p));
            }
        }
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&created_by, &created_by, None, |run, next| {
            map_insert(next, "Volumes", paths.into_iter().map(|k| (k, json!({}))));
            if missing.is_empty() {
                return Ok(None);
            }
            let scratch = Scratch::new(&scratch_dir)?;
            let layer = scratch.sub("layer")?;
            for dir in &missing {
                mkdirs(&layer, dir, &stack).map_err(|why| step_error(step, why))?;
            }
            Ok(Some(write_layer(&run.b.store, &layer)?))
        })
    }

    /// `RUN`: in a container on an overlay of the image; the upper dir becomes the layer.
    pub(super) fn run(
        &mut self,
        step: &Step,
        command: &Command,
        network: Option<&str>,
    ) -> Result<()> {
        let argv = to_argv(command, &self.shell());
        let args = self.arg_pairs();
        let mut created_by = String::new();
        if !args.is_empty() {
            // Docker's form: `|N K=V … cmd`, so build args are part of the step's identity.
            created_by = format!(
                "|{} {} ",
                args.len(),
                args.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        created_by.push_str(&argv.join(" "));
        // `RUN --network=` overrides the build's `--network` for this step; `default` keeps it.
        let host_network = match network {
            Some("none") => false,
            Some("host") => true,
            _ => self.b.host_network,
        };
        if let Some(n) = network.filter(|n| !["default", "none", "host"].contains(n)) {
            return Err(Error::dockerfile(
                step.line,
                format!("RUN --network={n}: use default, none or host"),
            ));
        }
        let key_text = format!("{created_by}\nnetwork={host_network}");
        let lowers = self.lowers()?;
        if lowers.is_empty() {
            return Err(step_error(step, "there is no shell or program to run in an empty image (FROM scratch): copy one in first".into()));
        }
        let mut env = self.snap.list("Env");
        for (k, v) in &args {
            if !env.iter().any(|e| e.starts_with(&format!("{k}="))) {
                env.push(format!("{k}={v}"));
            }
        }
        if !env.iter().any(|e| e.starts_with("PATH=")) {
            env.insert(0, images::import::DEFAULT_PATH.into());
        }
        let spec = RunSpec {
            lowers,
            args: argv,
            env,
            cwd: self.snap.field("WorkingDir"),
            user: self.snap.field("User"),
            host_network,
            echo: self.b.verbose,
        };
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&key_text, &created_by, None, |run, _| {
            let scratch = Scratch::new(&scratch_dir)?;
            let finished = run_step(&spec, &scratch)?;
            if finished.code != 0 {
                return Err(Error::RunFailed {
                    line: step.line,
                    instruction: step.text.clone(),
                    code: finished.code,
                    output: finished.tail,
                });
            }
            Ok(Some(write_layer(&run.b.store, &scratch.sub("upper")?)?))
        })?;
        Ok(())
    }

    /// `COPY`/`ADD`: sources resolved in the context (or a stage), hashed by content, and
    /// copied into a fresh layer directory.
    pub(super) fn copy(&mut self, step: &Step, args: &CopyArgs, is_add: bool) -> Result<()> {
        let keyword = if is_add { "ADD" } else { "COPY" };
        let mut paths = Vec::new();
        for p in &args.paths {
            paths.push(self.expand(step, p)?);
        }
        let dest_raw = paths.pop().expect("parser checked two paths");
        let urls = paths.iter().filter(|p| fetch::is_url(p)).count();
        if urls > 0 && (!is_add || urls < paths.len() || args.from.is_some()) {
            return Err(step_error(
                step,
                "a URL source needs ADD, without --from, and with only URL sources: put local files in an ADD or COPY of their own".into(),
            ));
        }
        let workdir = self.snap.field("WorkingDir");
        let dest = if dest_raw.starts_with('/') {
            dest_raw.clone()
        } else {
            format!(
                "{}/{dest_raw}",
                if workdir.is_empty() { "/" } else { &workdir }
            )
        };
        // URLs are downloaded (every build: their content is the cache key) into a scratch
        // dir that stands in for the context; it lives until this step is done.
        let mut downloads = None;
        let mut sources = Vec::new();
        let root = if urls > 0 {
            let scratch = downloads.insert(Scratch::new(&self.b.scratch_dir)?);
            let dir = scratch.sub("download")?;
            for url in &paths {
                let name = fetch::file_name(url).map_err(|why| step_error(step, why))?;
                fetch::download(url, &dir, &name).map_err(|why| step_error(step, why))?;
                sources.push(name.into());
            }
            SourceRoot::tree(&dir)?
        } else {
            let root = self.source_root(step, args.from.as_deref())?;
            for p in &paths {
                sources.extend(root.resolve(p).map_err(|why| step_error(step, why))?);
            }
            root
        };
        let mut hasher = Hasher::new();
        for rel in &sources {
            root.hash_into(rel, &mut hasher)?;
        }
        let content = hasher.digest();
        let chmod = match &args.chmod {
            Some(m) => Some(u32::from_str_radix(m, 8).map_err(|_| {
                Error::dockerfile(
                    step.line,
                    format!("--chmod={m}: not an octal mode like 755"),
                )
            })?),
            None => None,
        };
        let chown = match &args.chown {
            Some(c) => Some(self.expand(step, c)?),
            None => None,
        };
        let kind = if sources.len() > 1 {
            "multi"
        } else if root.dir.join(&sources[0]).is_dir() {
            "dir"
        } else {
            "file"
        };
        let from = args
            .from
            .as_ref()
            .map(|f| format!("--from={f} "))
            .unwrap_or_default();
        let created_by = format!(
            "{NOP}{keyword} {from}{kind}:{} in {dest_raw} ",
            content.hex()
        );
        let key_text = format!("{created_by}\nchown={chown:?} chmod={chmod:?} dest={dest}");
        let lowers = self.lowers()?;
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&key_text, &created_by, Some(&content), |run, _| {
            let owner = match &chown {
                Some(spec) => {
                    Some(resolve_owner(&lowers, spec).map_err(|why| step_error(step, why))?)
                }
                None => None,
            };
            let scratch = Scratch::new(&scratch_dir)?;
            let layer = scratch.sub("layer")?;
            let plan = CopyPlan {
                root: &root,
                sources,
                dest,
                owner,
                chmod,
                extract_tars: is_add && urls == 0, // a downloaded archive stays as it is
            };
            copy_into_layer(&plan, &layer, &LowerStack::new(lowers.iter()))
                .map_err(|why| step_error(step, why))?;
            Ok(Some(write_layer(&run.b.store, &layer)?))
        })
    }

    /// Where `COPY --from=…` (or the context, without it) reads.
    fn source_root(&mut self, step: &Step, from: Option<&str>) -> Result<SourceRoot> {
        let Some(from) = from else {
            return Ok(self.b.context.clone());
        };
        let from = self.expand(step, from)?;
        let snap = match resolve(self.b.file, self.index, &from, step.line)? {
            Some(Base::Stage(j)) => self.b.results[j]
                .clone()
                .expect("dependencies are built first"),
            _ => {
                let image = self.b.base_image(&from, step.line, &step.text)?;
                Snapshot::of(&self.b.store, &image)?
            }
        };
        let Some(image) = snap.image(&self.b.store)? else {
            return Err(step_error(
                step,
                format!("--from={from}: the stage is empty"),
            ));
        };
        if let Some((_, root)) = self.b.flat.get(&image.digest) {
            return Ok(root.clone());
        }
        let scratch = Scratch::new(&self.b.scratch_dir)?;
        let dir = scratch.sub("flat")?.join("rootfs");
        self.b
            .store
            .unpack_flat(&image, &dir, &images::ApplyOptions::default())?;
        let root = SourceRoot::tree(&dir)?;
        self.b
            .flat
            .insert(image.digest.clone(), (scratch, root.clone()));
        Ok(root)
    }
}

/// `--chown=user[:group]`: numbers as they are; names looked up in the image's own
/// `/etc/passwd` and `/etc/group` (read from the topmost layer that resolves them).
fn resolve_owner(
    lowers: &[std::path::PathBuf],
    spec: &str,
) -> std::result::Result<(u32, u32), String> {
    let numeric = |s: &str| s.parse::<u32>().ok();
    if let Some((u, g)) = spec.split_once(':') {
        if let (Some(u), Some(g)) = (numeric(u), numeric(g)) {
            return Ok((u, g));
        }
    } else if let Some(u) = numeric(spec) {
        return Ok((u, u));
    }
    let mut last = String::from("the image has no /etc/passwd");
    for layer in lowers {
        match images::runconfig::resolve_user(layer, spec) {
            Ok(ids) => return Ok(ids),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("--chown={spec}: {last}"))
}

/// Creates `rel` and its parents in `layer`, copying metadata of those the image has.
fn mkdirs(
    layer: &std::path::Path,
    rel: &std::path::Path,
    lowers: &LowerStack,
) -> std::result::Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut partial = std::path::PathBuf::new();
    for part in rel.components() {
        partial.push(part);
        let here = layer.join(&partial);
        if here.is_dir() {
            continue;
        }
        std::fs::create_dir(&here).map_err(|e| format!("create {}: {e}", here.display()))?;
        let (mode, uid, gid) = match lowers.lookup(&partial).map_err(|e| e.to_string())? {
            Some(m) if m.is_dir() => (m.mode() & 0o7777, m.uid(), m.gid()),
            _ => (0o755, 0, 0),
        };
        std::fs::set_permissions(&here, std::fs::Permissions::from_mode(mode))
            .map_err(|e| e.to_string())?;
        std::os::unix::fs::lchown(&here, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
    }
    Ok(())
}
