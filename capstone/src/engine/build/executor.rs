//! Running a stage: `FROM` gives the first snapshot, then each instruction makes the next one.
//! Every step first computes its cache key ([`super::cache`]); on a hit the recorded image is
//! taken as it is, on a miss the step is executed ([`super::steps`]) and its result stored
//! and recorded. Progress is printed per step, with `CACHED` for hits.

use super::cache::{self, Cache};
use super::context::SourceRoot;
use super::dockerfile::{Dockerfile, Step, parse_step};
use super::run::Scratch;
use super::snapshot::Snapshot;
use super::stages::{Base, Plan};
use super::words;
use crate::{Error, Result};
use images::LayerBlob;
use images::Store;
use images::digest::Digest;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// What every stage of one build shares.
pub struct Builder<'a> {
    /// The engine's state directories (to pull base images, [`super::base`]).
    pub paths: crate::store::Paths,
    /// The image store.
    pub store: Store,
    /// The step cache.
    pub cache: Cache,
    /// The build context.
    pub context: SourceRoot,
    /// The parsed Dockerfile.
    pub file: &'a Dockerfile,
    /// Which stages, on what.
    pub plan: &'a Plan,
    /// `--build-arg` values.
    pub build_args: &'a BTreeMap<String, String>,
    /// Where scratch directories go (removed again by their guards).
    pub scratch_dir: PathBuf,
    /// `RUN` uses the host's network namespace (`--network host` or `default`); otherwise a
    /// new one with only a loopback (`none`).
    pub host_network: bool,
    /// Print progress.
    pub verbose: bool,
    /// Each built stage's final snapshot.
    pub results: Vec<Option<Snapshot>>,
    /// Flattened root file systems of stages/images used by `COPY --from`.
    pub flat: HashMap<Digest, (Scratch, SourceRoot)>,
    /// Steps run, and steps taken from the cache.
    pub counts: (usize, usize),
}

/// One stage being built: its snapshot and its `ARG`s.
pub struct StageRun<'b, 'a> {
    /// The shared builder.
    pub b: &'b mut Builder<'a>,
    /// The stage's image so far.
    pub snap: Snapshot,
    /// `ARG`s declared in this stage so far, with their values.
    pub args: BTreeMap<String, String>,
    /// Whether this stage set `CMD` (an `ENTRYPOINT` then keeps it).
    pub cmd_set: bool,
    /// Stage index.
    pub index: usize,
}

impl<'a> Builder<'a> {
    /// Builds stage `index` (its dependencies must be built already).
    pub fn build_stage(&mut self, index: usize) -> Result<Snapshot> {
        let stage = &self.file.stages[index];
        let total = stage.steps.len() + 1;
        let name = stage.name.clone().unwrap_or_else(|| index.to_string());
        self.say(format!("[{name}] STEP 1/{total}: FROM {}", stage.base));
        if let Some(p) = &stage.platform {
            let lookup = |n: &str| self.plan.meta_args.get(n).cloned();
            let p = words::expand(p, &lookup, self.file.escape).unwrap_or_default();
            if p != "linux/amd64" && p != "linux/x86_64" {
                return Err(Error::dockerfile(
                    stage.line,
                    format!("FROM --platform={p}: only linux/amd64 (this machine) can be built"),
                ));
            }
        }
        let mut snap = match &self.plan.bases[index] {
            Base::Scratch => Snapshot::scratch(&self.store),
            Base::Stage(j) => self.results[*j]
                .clone()
                .expect("dependencies are built first"),
            Base::Image(reference) => {
                let instruction = format!("FROM {}", stage.base);
                let image = self.base_image(reference, stage.line, &instruction)?;
                Snapshot::of(&self.store, &image)
            }
        };
        let triggers = snap.list("OnBuild");
        if !triggers.is_empty() {
            // ONBUILD triggers of the base run first, then are cleared (they fire once).
            snap.config_mut().remove("OnBuild");
            snap.store()?;
        }
        let mut run = StageRun {
            b: self,
            snap,
            args: BTreeMap::new(),
            cmd_set: false,
            index,
        };
        for text in triggers {
            let step = parse_step(stage.line, &text, run.b.file.escape)?;
            run.b.say(format!("[{name}] ONBUILD trigger: {text}"));
            run.step(&step)?;
        }
        for (n, step) in stage.steps.iter().enumerate() {
            run.b
                .say(format!("[{name}] STEP {}/{total}: {}", n + 2, step.text));
            run.step(step)?;
        }
        if run.snap.digest.is_none() {
            run.snap.store()?; // `FROM scratch` and nothing else
        }
        let snap = run.snap;
        self.say(format!("--> {}", short(&snap)));
        Ok(snap)
    }

    /// Prints a progress line (unless quiet).
    pub fn say(&self, line: String) {
        if self.verbose {
            println!("{line}");
        }
    }
}

/// The short image id of a snapshot (12 hex digits of its config digest, as Docker shows).
pub fn short(snap: &Snapshot) -> String {
    snap.config_digest
        .as_ref()
        .map_or("scratch".into(), |d| d.hex()[..12].to_string())
}

impl StageRun<'_, '_> {
    /// Looks a variable up: `ENV` first, then the stage's `ARG`s (as Docker does).
    pub fn lookup(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        let env = self.snap.list("Env");
        env.iter()
            .rev()
            .find_map(|e| e.strip_prefix(&prefix).map(str::to_string))
            .or_else(|| self.args.get(name).cloned())
    }

    /// Expands one word for `step`, naming its line on failure.
    pub fn expand(&self, step: &Step, word: &str) -> Result<String> {
        words::expand(word, &|n| self.lookup(n), self.b.file.escape)
            .map_err(|why| Error::dockerfile(step.line, why))
    }

    /// The stage's `ARG`s with values, as they enter the cache key and `RUN`'s environment.
    pub fn arg_pairs(&self) -> Vec<(String, String)> {
        self.args
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    // ANCHOR: cached
    /// The cache protocol around one step (`key_text` is the expanded instruction and its
    /// options, `created_by` its history entry): a hit reuses the recorded image; a miss calls
    /// `make` (which returns a layer, or `None` for a config-only step) and commits.
    pub fn cached(
        &mut self,
        key_text: &str,
        created_by: &str,
        content: Option<&Digest>,
        make: impl FnOnce(&mut Self, &mut Snapshot) -> Result<Option<LayerBlob>>,
    ) -> Result<()> {
        let key = cache::key(
            self.snap.digest.as_ref(),
            key_text,
            &self.arg_pairs(),
            content,
        );
        if let Some(hit) = self.b.cache.lookup(&self.b.store, &key) {
            self.b.say(format!("--> CACHED {}", short(&hit)));
            self.b.counts.1 += 1;
            self.snap = hit;
            return Ok(());
        }
        let mut next = self.snap.clone();
        let layer = make(self, &mut next)?;
        let next = next.commit(layer, created_by)?;
        self.b.cache.record(&key, &next)?;
        self.b.counts.0 += 1;
        self.b.say(format!("--> {}", short(&next)));
        self.snap = next;
        Ok(())
    }
    // ANCHOR_END: cached

    /// The current image's unpacked layer directories, topmost first.
    pub fn lowers(&self) -> Result<Vec<PathBuf>> {
        Ok(match self.snap.image(&self.b.store)? {
            Some(image) => {
                let mut dirs = self.b.store.unpack(&image)?;
                dirs.reverse();
                dirs
            }
            None => Vec::new(),
        })
    }
}
