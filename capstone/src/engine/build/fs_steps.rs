//! The steps that change the file system, each making one layer: `RUN` (a container on an
//! overlay, [`super::run`]), and `WORKDIR` when its directory does not exist yet. `VOLUME` sits beside them
//! though it only changes the config: Docker's builders do not create its directory.
//! (`COPY`/`ADD` are in [`super::copy_step`].)

use super::copy::image_relative;
use super::dockerfile::{Command, Step};
use super::executor::StageRun;
use super::heredoc::{self, Heredoc};
use super::mounts::RunMount;
use super::run::{RunSpec, Scratch, run_step};
use super::steps::{NOP, map_insert, step_error, to_argv};
use crate::{Error, Result};
use images::build::write_dir_layer;
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
            next.config_mut().set("WorkingDir", json!(clean));
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
            Ok(Some(write_dir_layer(&run.b.store, &layer)?))
        })
    }

    /// `VOLUME`: recorded in the config only. The directory is not created in the image
    /// (Docker's builders, legacy and BuildKit alike, leave that to the engine when it mounts
    /// the volume: `capstone run` creates a missing mount point then).
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
        self.cached(&created_by, &created_by, None, |_, next| {
            map_insert(next, "Volumes", paths.into_iter().map(|k| (k, json!({}))));
            Ok(None)
        })
    }

    /// `RUN`: in a container on an overlay of the image; the upper dir becomes the layer.
    pub(super) fn run(
        &mut self,
        step: &Step,
        command: &Command,
        network: Option<&str>,
        heredocs: &[Heredoc],
        mounts: &[RunMount],
    ) -> Result<()> {
        let (argv, script) = match command {
            Command::Shell(text) if !heredocs.is_empty() => {
                heredoc::run_argv(text, heredocs, &self.shell())
            }
            _ => (to_argv(command, &self.shell()), None),
        };
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
        let mut key_text = format!("{created_by}\nnetwork={host_network}");
        if let Some((name, body)) = &script {
            key_text.push_str(&format!("\nscript {name}:\n{body}"));
        }
        let (mounts, mounts_key, cache_locks) = self.prepare_mounts(step, mounts)?;
        key_text.push_str(&mounts_key);
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
            echo: self.b.progress.echo(),
            script,
            mounts,
            seccomp_cache: crate::mechanisms::security::filter_cache(&self.b.paths),
        };
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&key_text, &created_by, None, |run, _| {
            let scratch = Scratch::new(&scratch_dir)?;
            let _turn = super::mounts::lock_caches(&cache_locks)?; // sharing=locked caches
            let finished = run_step(&spec, &scratch)?;
            if finished.code != 0 {
                return Err(Error::RunFailed {
                    line: step.line,
                    instruction: step.text.clone(),
                    code: finished.code,
                    output: finished.tail,
                });
            }
            Ok(Some(write_dir_layer(&run.b.store, &scratch.sub("upper")?)?))
        })?;
        Ok(())
    }
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
