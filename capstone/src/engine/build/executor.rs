//! Running a stage: `FROM` gives the first snapshot, then each instruction makes the next one.
//! Every step first computes its cache key ([`super::cache`]); on a hit the recorded image is
//! taken as it is, on a miss the step is executed ([`super::steps`]) and its result stored
//! and recorded. Progress is shown per step ([`super::progress`]), with `CACHED` for hits.

use super::cache::{self, Cache};
use super::context::SourceRoot;
use super::dockerfile::{Dockerfile, Instruction, Step, parse_step};
use super::progress::Progress;
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
    /// What is printed while the build works ([`super::progress`]).
    pub progress: Progress,
    /// `--secret`s by id, for `RUN --mount=type=secret`.
    pub secrets: HashMap<String, PathBuf>,
    /// `--pull`: pull base images even when the store has them ([`super::base`]).
    pub always_pull: bool,
    /// The references pulled so far in this build (each is pulled once).
    pub pulled: std::cell::RefCell<std::collections::HashSet<String>>,
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
        // BuildKit's step titles: `[2/4] RUN …`, counting only the steps it shows (FROM and
        // the file-system ones), with the stage's name when there are several.
        let shown = |step: &Step| {
            matches!(
                step.instruction,
                Instruction::Run { .. }
                    | Instruction::Copy(_)
                    | Instruction::Add(_)
                    | Instruction::Workdir(_)
            )
        };
        let bk_total = 1 + stage.steps.iter().filter(|s| shown(s)).count();
        let label = match self.file.stages.len() {
            1 => String::new(),
            _ => match &stage.name {
                Some(stage_name) => format!("{stage_name} "),
                None => format!("stage-{index} "),
            },
        };
        let title = |n: usize, text: &str| format!("[{label}{n}/{bk_total}] {text}");
        self.progress.start(
            format!("[{name}] STEP 1/{total}: FROM {}", stage.base),
            Some(title(1, &format!("FROM {}", stage.base))),
        );
        let mut snap = match self.stage_base(index) {
            Ok(snap) => snap,
            Err(e) => {
                self.progress.failed(&e.to_string());
                return Err(e);
            }
        };
        self.progress.done(None);
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
            let shown_title = shown(&step).then(|| format!("[{label}ONBUILD] {text}"));
            run.b
                .progress
                .start(format!("[{name}] ONBUILD trigger: {text}"), shown_title);
            run.reported_step(&step)?;
        }
        let mut bk_n = 1;
        for (n, step) in stage.steps.iter().enumerate() {
            let shown_title = shown(step).then(|| {
                bk_n += 1;
                title(bk_n, &step.text)
            });
            run.b.progress.start(
                format!("[{name}] STEP {}/{total}: {}", n + 2, step.text),
                shown_title,
            );
            run.reported_step(step)?;
        }
        let snap = run.snap;
        self.progress.stage_done(&short(&snap));
        Ok(snap)
    }

    /// The snapshot stage `index` starts from (its `FROM`).
    fn stage_base(&self, index: usize) -> Result<Snapshot> {
        let stage = &self.file.stages[index];
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
        Ok(match &self.plan.bases[index] {
            Base::Scratch => {
                // Stored at once, so the first step's cache key names this very config.
                let mut snap = Snapshot::scratch(&self.store);
                snap.store()?;
                snap
            }
            Base::Stage(j) => self.results[*j]
                .clone()
                .expect("dependencies are built first"),
            Base::Image(reference) => {
                let instruction = format!("FROM {}", stage.base);
                let image = self.base_image(reference, stage.line, &instruction)?;
                Snapshot::of(&self.store, &image)
            }
        })
    }
}

/// The short image id of a snapshot (12 hex digits of its config digest, as Docker shows).
pub fn short(snap: &Snapshot) -> String {
    snap.config_digest
        .as_ref()
        .map_or("scratch".into(), |d| d.hex()[..12].to_string())
}

impl StageRun<'_, '_> {
    /// Executes one instruction ([`Self::step`]), reporting a failure to the progress display.
    fn reported_step(&mut self, step: &Step) -> Result<()> {
        let result = self.step(step);
        if let Err(e) = &result {
            self.b.progress.failed(&e.to_string());
        }
        result
    }

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
            self.b.progress.cached(&short(&hit));
            self.b.counts.1 += 1;
            self.snap = hit;
            return Ok(());
        }
        let mut next = self.snap.clone();
        let layer = make(self, &mut next)?;
        let next = next.commit(layer, created_by)?;
        self.b.cache.record(&key, &next)?;
        self.b.counts.0 += 1;
        self.b.progress.done(Some(&short(&next)));
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
