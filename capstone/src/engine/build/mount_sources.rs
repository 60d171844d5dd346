//! Where the file systems of a `RUN --mount=…` come from, on the host: a cache directory of
//! the engine, a path of the build context, a secret file given on the command line, or
//! nothing (a tmpfs). [`super::mounts`] then mounts them into the step.

use super::dockerfile::Step;
use super::executor::StageRun;
use super::mounts::{Kind, Prepared, RunMount, cache_dir};
use super::steps::step_error;
use crate::Result;
use std::path::PathBuf;

impl StageRun<'_, '_> {
    /// Resolves the step's mounts (their targets, ids and sources expanded like `COPY`'s), the
    /// text they add to the step's cache key (a bind's content, never a secret's or a cache's),
    /// and the cache directories to lock while the step runs (`sharing=locked`).
    pub(super) fn prepare_mounts(
        &mut self,
        step: &Step,
        mounts: &[RunMount],
    ) -> Result<(Vec<Prepared>, String, Vec<PathBuf>)> {
        let mut prepared = Vec::new();
        let mut key = String::new();
        let mut locks = Vec::new();
        for m in mounts {
            let target = self.expand(step, &m.target)?;
            if !target.starts_with('/') {
                return Err(step_error(
                    step,
                    format!("--mount target={target}: the target must be an absolute path"),
                ));
            }
            let id = match &m.id {
                Some(id) => self.expand(step, id)?,
                None => target.clone(),
            };
            key.push_str(&format!(
                "\nmount {:?} {target} id={id} {:?}",
                m.kind, m.owner
            ));
            let host = match m.kind {
                Kind::Tmpfs => None,
                Kind::Cache => {
                    let dir =
                        cache_dir(&self.b.paths.root.join("build-mounts/cache"), &id, m.owner)?;
                    if m.locked {
                        locks.push(dir.clone());
                    }
                    Some((dir, false))
                }
                Kind::Bind => {
                    let source = self.expand(step, m.source.as_deref().unwrap_or("."))?;
                    // The context, or `from=`'s stage or image (flattened once per build).
                    let root = self.source_root(step, m.from.as_deref())?;
                    let found = root
                        .resolve(&source)
                        .map_err(|why| step_error(step, format!("--mount source: {why}")))?;
                    let [rel] = found.as_slice() else {
                        return Err(step_error(
                            step,
                            format!(
                                "--mount source={source}: names {} paths of the build context, not one",
                                found.len()
                            ),
                        ));
                    };
                    // Its content is an input of the step, as `COPY`'s is.
                    let mut hasher = images::digest::Hasher::new();
                    root.hash_into(rel, &mut hasher)?;
                    key.push_str(&format!(" source={} {}", rel.display(), hasher.digest()));
                    Some((root.dir.join(rel), true))
                }
                Kind::Secret => match self.b.secrets.get(&id) {
                    Some(file) => Some((file.clone(), true)),
                    None if m.required => {
                        return Err(step_error(
                            step,
                            format!("secret {id} is required: pass --secret id={id},src=FILE"),
                        ));
                    }
                    None => continue, // an optional secret that was not given: no mount
                },
            };
            prepared.push(Prepared { target, host });
        }
        Ok((prepared, key, locks))
    }
}
