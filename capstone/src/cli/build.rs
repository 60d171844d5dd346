//! `capstone build`'s flags (Docker's), and the verb itself: parse, call [`super::build`],
//! print Docker's messages. The engine's CLI only needs a `Build(BuildArgs)` variant and one
//! dispatch line calling [`main`].

use crate::engine::build::{BuildOptions, build};
use crate::store::Paths;
use clap::Args;
use std::path::PathBuf;

/// Build an image from a Dockerfile.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Name and optionally a tag (`name:tag`); may be given several times.
    #[arg(short, long = "tag")]
    pub tag: Vec<String>,
    /// The Dockerfile (default: `CONTEXT/Dockerfile`).
    #[arg(short, long)]
    pub file: Option<PathBuf>,
    /// Set a build-time variable declared with `ARG` (`NAME=value`, or `NAME` to take it
    /// from the environment).
    #[arg(long = "build-arg")]
    pub build_arg: Vec<String>,
    /// Build up to this stage (by name or index).
    #[arg(long)]
    pub target: Option<String>,
    /// Do not use the cache (every step runs).
    #[arg(long)]
    pub no_cache: bool,
    /// Network for `RUN` steps: `none` (a loopback only), `host`, or `default` (the host's
    /// network too, until build steps can join the bridge).
    #[arg(long)]
    pub network: Option<String>,
    /// Print only the image id.
    #[arg(short, long)]
    pub quiet: bool,
    /// The build context directory.
    pub context: PathBuf,
}

/// Runs `capstone build`; returns the exit code (1 on failure, as `docker build`).
pub fn main(paths: &Paths, args: BuildArgs) -> i32 {
    let mut build_args = Vec::new();
    for a in &args.build_arg {
        match a.split_once('=') {
            Some((k, v)) => build_args.push((k.to_string(), v.to_string())),
            None => {
                if let Ok(v) = std::env::var(a) {
                    build_args.push((a.clone(), v));
                }
            }
        }
    }
    let opts = BuildOptions {
        root: paths.root.clone(),
        runroot: paths.runroot.clone(),
        context: args.context,
        dockerfile: args.file,
        tags: args.tag,
        build_args,
        target: args.target,
        no_cache: args.no_cache,
        network: args.network,
        quiet: args.quiet,
    };
    match build(&opts) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("capstone: build failed: {e}");
            1
        }
    }
}
