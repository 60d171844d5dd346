//! `capstone build`: from a Dockerfile and a build context to an image in the store.
//!
//! Read it in this order:
//! - the language: [`lines`] (directives, comments, continuations, [`heredoc`]s) → [`words`]
//!   (quotes and `$VAR` substitution) → [`dockerfile`] (instructions, stages) and [`health`];
//! - the plan: [`stages`] (which stages the target needs, `ARG`s in `FROM`), and [`base`]
//!   (base images, pulled when missing);
//! - the steps: [`executor`] (a stage, step by step, through the [`cache`]) → [`steps`] (what
//!   each config instruction does) and the ones that make layers: [`fs_steps`] → [`run`]
//!   (`RUN` in a lesson-01 container on a lesson-03 overlay, its output through [`output`]
//!   and [`progress`],
//!   its `/etc/hosts` and `/etc/resolv.conf` from [`etc_files`], its `--mount`s from
//!   [`mount_sources`] and [`mounts`]); [`copy_step`] → [`copy`] and [`context`] (`COPY`/`ADD`, `.dockerignore`),
//!   [`archive`] (`ADD` of a local archive), [`fetch`] (`ADD` of a URL); [`snapshot`]
//!   (config, layers and manifests in lesson 04's store); [`export`] (`--output`).
//!
//! Only the target stage's snapshot is tagged, at the very end: a failed build tags nothing,
//! and its scratch directories and mounts are removed by their guards.

pub mod archive;
pub mod base;
pub mod cache;

pub mod context;
pub mod copy;
pub mod copy_step;
pub mod dockerfile;
pub mod etc_files;
pub mod executor;
pub mod export;
pub mod fetch;
pub mod from_archive;
pub mod fs_steps;
pub mod glob;
pub mod health;
pub mod heredoc;
pub mod lines;
pub mod mount_sources;
pub mod mounts;
pub mod output;
#[cfg(test)]
mod parse_tests;
pub mod progress;
pub mod run;
pub mod snapshot;
pub mod stages;
pub mod steps;
pub mod words;

pub use crate::{Error, Result};

use crate::store::image_refs as images_ref;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// `capstone build`'s options (Docker's flags).
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The engine's `--root`: images are stored in `<root>/images`, the build cache in
    /// `<root>/build-cache`, scratch directories in `<root>/build-tmp`.
    pub root: PathBuf,
    /// The engine's `--runroot` (locks), for pulling base images.
    pub runroot: PathBuf,
    /// The build context directory.
    pub context: PathBuf,
    /// `-f`: the Dockerfile (default `<context>/Dockerfile`).
    pub dockerfile: Option<PathBuf>,
    /// `-t NAME[:TAG]`, any number.
    pub tags: Vec<String>,
    /// `--build-arg K=V`.
    pub build_args: Vec<(String, String)>,
    /// `--target STAGE`.
    pub target: Option<String>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--network host|none|default` for every `RUN` (unset means `default`).
    pub network: Option<String>,
    /// `-q`: print only the image id.
    pub quiet: bool,
    /// The Dockerfile's text when it came on stdin (`-f -`, or `build -`); otherwise it is
    /// read from `dockerfile`.
    pub dockerfile_text: Option<String>,
    /// `--label K=V`: labels set on the final image (as BuildKit does: no history entry).
    pub labels: Vec<(String, String)>,
    /// `--iidfile FILE`: where to write the image id (`sha256:…`, no newline, as Docker).
    pub iidfile: Option<PathBuf>,
    /// `--secret id=NAME,src=FILE`: files `RUN --mount=type=secret,id=NAME` may read.
    pub secrets: Vec<(String, PathBuf)>,
    /// `--pull`: pull every base image again, even when the store has it.
    pub pull: bool,
    /// `--output`: also write the target's files to a directory or a tar archive.
    pub output: Option<export::Output>,
    /// `--progress`: how the build shows what it does (`-q` makes it quiet).
    pub progress: progress::Mode,
    /// Where `classic` progress goes instead of stdout (the API daemon's JSON stream).
    pub classic_out: Option<progress::Out>,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    /// The image (manifest digest, config digest = image id, layers).
    pub image: images::Image,
    /// The full references it was tagged with.
    pub tags: Vec<String>,
    /// Steps executed.
    pub steps_run: usize,
    /// Steps taken from the cache.
    pub steps_cached: usize,
}

/// Builds the image described by the Dockerfile in `opts.context` and tags it.
pub fn build(opts: &BuildOptions) -> Result<BuildOutcome> {
    // Check everything that can be checked before any work, so bad flags leave nothing behind.
    let tags = opts
        .tags
        .iter()
        .map(|t| images_ref::normalize(t))
        .collect::<crate::Result<Vec<_>>>()?;
    if let Some(n) = opts
        .network
        .as_deref()
        .filter(|n| !["default", "none", "host"].contains(n))
    {
        return Err(Error::invalid("--network", n, "use default, none or host"));
    }
    // The Dockerfile, and its path (for `<Dockerfile>.dockerignore`; none when on stdin).
    let (text, dockerfile_path) = match &opts.dockerfile_text {
        Some(text) => (text.clone(), None),
        None => {
            let path = opts
                .dockerfile
                .clone()
                .unwrap_or_else(|| opts.context.join("Dockerfile"));
            let text =
                std::fs::read_to_string(&path).map_err(Error::io("read Dockerfile", &path))?;
            (text, Some(path))
        }
    };
    let file = dockerfile::parse(&text)?;
    if let Some(syntax) = &file.syntax {
        eprintln!(
            "note: `# syntax={syntax}` is ignored: capstone's own parser reads this Dockerfile (BuildKit would run that frontend image)"
        );
    }
    let build_args: BTreeMap<String, String> = opts.build_args.iter().cloned().collect();
    let plan = stages::plan(&file, &build_args, opts.target.as_deref())?;
    // `--output type=tar,dest=-`: stdout carries the archive, so nothing else may go there.
    let stdout_is_archive = opts.output == Some(export::Output::Tar("-".into()));
    let store = images::Store::open(opts.root.join("images"))?;
    // What a killed build left (its mounts and scratch directories) goes first.
    run::sweep(&opts.root.join("build-tmp"));
    let mut builder = executor::Builder {
        paths: crate::store::Paths {
            root: opts.root.clone(),
            runroot: opts.runroot.clone(),
        },
        store,
        cache: cache::Cache::new(opts.root.join("build-cache"), !opts.no_cache),
        context: context::SourceRoot::context_for(&opts.context, dockerfile_path.as_deref())?,
        file: &file,
        plan: &plan,
        build_args: &build_args,
        scratch_dir: opts.root.join("build-tmp"),
        // `default` is the host's network until the engine has a bridge: see [`run`].
        host_network: opts.network.as_deref() != Some("none"),
        progress: progress::Progress::with_output(
            if opts.quiet || stdout_is_archive {
                progress::Mode::Quiet
            } else {
                opts.progress
            },
            opts.classic_out
                .clone()
                .unwrap_or_else(progress::Out::stdout),
        ),
        secrets: opts.secrets.iter().cloned().collect(),
        always_pull: opts.pull,
        pulled: Default::default(),
        results: vec![None; file.stages.len()],
        flat: HashMap::new(),
        counts: (0, 0),
    };
    for index in 0..file.stages.len() {
        if plan.needed[index] {
            let snap = builder.build_stage(index)?;
            builder.results[index] = Some(snap);
        }
    }
    let target = builder.results[plan.target].clone().expect("target built");
    let image = finish(&mut builder, target, opts, &tags, stdout_is_archive)?;
    Ok(BuildOutcome {
        image,
        tags,
        steps_run: builder.counts.0,
        steps_cached: builder.counts.1,
    })
}

/// After the last step: `--label`s on the target's config, `--output`, `--iidfile`, the tags,
/// and the closing lines. Returns the image.
fn finish(
    builder: &mut executor::Builder,
    mut target: snapshot::Snapshot,
    opts: &BuildOptions,
    tags: &[String],
    stdout_is_archive: bool,
) -> Result<images::Image> {
    if !opts.labels.is_empty() {
        let labels = opts
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!(v)));
        steps::map_insert(&mut target, "Labels", labels);
        target.store()?;
    }
    let image = target.image(&builder.store)?.expect("stored");
    if let Some(output) = &opts.output {
        export::export(&builder.store, &image, output, &builder.scratch_dir)?;
    }
    if let Some(path) = &opts.iidfile {
        std::fs::write(path, image.config_digest.to_string())
            .map_err(Error::io("write --iidfile", path))?;
    }
    for tag in tags {
        builder.store.tag(tag, &image.digest)?;
    }
    if opts.quiet && !stdout_is_archive {
        println!("{}", image.config_digest);
    }
    let familiar: Vec<String> = tags.iter().map(|t| images_ref::familiar(t)).collect();
    let short = images_ref::short_id(&image);
    let full = image.config_digest.to_string();
    builder.progress.finished(&full, &short, tags, &familiar);
    Ok(image)
}
