//! `capstone build`: from a Dockerfile and a build context to an image in the store.
//!
//! Read it in this order:
//! - the language: [`lines`] (directives, comments, continuations) → [`words`] (quotes and
//!   `$VAR` substitution) → [`dockerfile`] (instructions, stages) and [`health`];
//! - the plan: [`stages`] (which stages the target needs, `ARG`s in `FROM`), and [`base`]
//!   (base images, pulled when missing);
//! - the steps: [`executor`] (a stage, step by step, through the [`cache`]) → [`steps`] (what
//!   each config instruction does) and the ones that make layers: [`fs_steps`] → [`run`]
//!   (`RUN` in a lesson-01 container on a lesson-03 overlay, its output through [`output`],
//!   its `/etc/hosts` and `/etc/resolv.conf` from [`etc_files`]); [`copy_step`] → [`copy`]
//!   and [`context`] (`COPY`/`ADD`, `.dockerignore`), [`fetch`] (`ADD` of a URL);
//!   [`snapshot`] (config, layers and manifests in lesson 04's store).
//!
//! Only the target stage's snapshot is tagged, at the very end: a failed build tags nothing,
//! and its scratch directories and mounts are removed by their guards.

pub mod base;
pub mod cache;

pub mod context;
pub mod copy;
pub mod copy_step;
pub mod dockerfile;
pub mod etc_files;
pub mod executor;
pub mod fetch;
pub mod fs_steps;
pub mod health;
pub mod lines;
pub mod output;
#[cfg(test)]
mod parse_tests;
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
    let dockerfile = opts
        .dockerfile
        .clone()
        .unwrap_or_else(|| opts.context.join("Dockerfile"));
    let text =
        std::fs::read_to_string(&dockerfile).map_err(Error::io("read Dockerfile", &dockerfile))?;
    let file = dockerfile::parse(&text)?;
    let build_args: BTreeMap<String, String> = opts.build_args.iter().cloned().collect();
    let plan = stages::plan(&file, &build_args, opts.target.as_deref())?;
    let store = images::Store::open(opts.root.join("images"))?;
    let mut builder = executor::Builder {
        paths: crate::store::Paths {
            root: opts.root.clone(),
            runroot: opts.runroot.clone(),
        },
        store,
        cache: cache::Cache::new(opts.root.join("build-cache"), !opts.no_cache),
        context: context::SourceRoot::context(&opts.context)?,
        file: &file,
        plan: &plan,
        build_args: &build_args,
        scratch_dir: opts.root.join("build-tmp"),
        // `default` is the host's network until the engine has a bridge: see [`run`].
        host_network: opts.network.as_deref() != Some("none"),
        verbose: !opts.quiet,
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
    let image = target.image(&builder.store)?.expect("stored");
    for tag in &tags {
        builder.store.tag(tag, &image.digest)?;
    }
    let id = images_ref::short_id(&image);
    if opts.quiet {
        println!("{}", image.config_digest);
    } else {
        println!("Successfully built {id}");
        for tag in &tags {
            println!("Successfully tagged {}", images_ref::familiar(tag));
        }
    }
    Ok(BuildOutcome {
        image,
        tags,
        steps_run: builder.counts.0,
        steps_cached: builder.counts.1,
    })
}
