//! `COPY` and `ADD` as build steps: the sources are resolved (in the context, an earlier
//! stage, another image, a heredoc document, or downloaded from a URL, [`super::fetch`]), hashed by content for the
//! cache key, and copied into a fresh layer directory by [`super::copy`]; no container runs.

use super::context::SourceRoot;
use super::copy::{CopyPlan, copy_into_layer};
use super::dockerfile::{CopyArgs, Step};
use super::executor::StageRun;
use super::fetch;
use super::heredoc::{self, Heredoc};
use super::run::Scratch;
use super::snapshot::Snapshot;
use super::stages::{Base, resolve};
use super::steps::{NOP, step_error};
use crate::{Error, Result};
use images::build::write_dir_layer;
use images::digest::Hasher;
use overlay::lowers::LowerStack;

impl StageRun<'_, '_> {
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
        if args.checksum.is_some() && (urls != 1 || paths.len() != 1) {
            return Err(step_error(
                step,
                "--checksum is for one URL source: ADD --checksum=sha256:<hex> https://… /dest"
                    .into(),
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
        let docs: Vec<&Heredoc> = paths
            .iter()
            .filter_map(|p| heredoc::marker(p))
            .filter_map(|(name, _, _)| args.heredocs.iter().find(|h| h.name == name))
            .collect();
        let root = if !docs.is_empty() {
            if docs.len() < paths.len() {
                return Err(step_error(
                    step,
                    "heredocs and files in one instruction are not supported: copy them with two instructions".into(),
                ));
            }
            // Each document becomes a file named after its delimiter, in a scratch dir that
            // stands in for the context (as the downloads do).
            let scratch = downloads.insert(Scratch::new(&self.b.scratch_dir)?);
            let dir = scratch.sub("heredoc")?;
            for doc in docs {
                let text = heredoc::content(doc, &|n| self.lookup(n), self.b.file.escape).map_err(
                    |(line, why)| Error::dockerfile(line, format!("in <<{}: {why}", doc.name)),
                )?;
                let file = dir.join(&doc.name);
                std::fs::write(&file, text).map_err(Error::io("write heredoc", &file))?;
                std::fs::set_permissions(
                    &file,
                    std::os::unix::fs::PermissionsExt::from_mode(0o644),
                )
                .map_err(Error::io("chmod heredoc", &file))?;
                sources.push(doc.name.clone().into());
            }
            SourceRoot::tree(&dir)?
        } else if urls > 0 {
            let scratch = downloads.insert(Scratch::new(&self.b.scratch_dir)?);
            let dir = scratch.sub("download")?;
            for url in &paths {
                let name = fetch::file_name(url).map_err(|why| step_error(step, why))?;
                let got = fetch::download(url, &dir, &name).map_err(|why| step_error(step, why))?;
                if let Some(expected) = &args.checksum {
                    fetch::verify(url, &got, expected).map_err(|why| step_error(step, why))?;
                }
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
            Ok(Some(write_dir_layer(&run.b.store, &layer)?))
        })
    }

    /// Where `COPY --from=…` (or the context, without it) reads.
    pub(super) fn source_root(&mut self, step: &Step, from: Option<&str>) -> Result<SourceRoot> {
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
                Snapshot::of(&self.b.store, &image)
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
