//! `capstone build`'s flags (Docker's), and the verb itself: parse, call [`crate::engine::build::build`],
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
    /// The Dockerfile (default: `CONTEXT/Dockerfile`); `-` reads it from stdin.
    #[arg(short, long)]
    pub file: Option<PathBuf>,
    /// Set a label on the image (`KEY=value`); may be given several times.
    #[arg(long)]
    pub label: Vec<String>,
    /// Write the image id to this file.
    #[arg(long)]
    pub iidfile: Option<PathBuf>,
    /// A secret for `RUN --mount=type=secret,id=NAME`: `id=NAME,src=FILE` or `id=NAME,env=VAR`.
    #[arg(long)]
    pub secret: Vec<String>,
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
    /// Also write the image's files out: `type=local,dest=DIR` (or `DIR`), `type=tar,dest=FILE`.
    #[arg(short, long)]
    pub output: Option<String>,
    /// Pull base images even when the store has them (a tag may have moved).
    #[arg(long)]
    pub pull: bool,
    /// How to show progress: `classic` (the legacy builder's lines, the default), `plain`
    /// (BuildKit's, on stderr), `tty` (one line per step), `quiet`, or `auto` (`tty` at a
    /// terminal, else `classic`).
    #[arg(long, default_value = "classic")]
    pub progress: String,
    /// Print only the image id.
    #[arg(short, long)]
    pub quiet: bool,
    /// The build context directory; `-` means no context, with the Dockerfile on stdin.
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
    let mut labels = Vec::new();
    for l in &args.label {
        // Docker takes `--label KEY` (no `=`) as an empty value.
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        labels.push((k.to_string(), v.to_string()));
    }
    // `build -` and `-f -`: the Dockerfile comes on stdin; `build -` has an empty context.
    let from_stdin = args.context.as_os_str() == "-";
    let mut dockerfile_text = None;
    if from_stdin || args.file.as_deref() == Some(std::path::Path::new("-")) {
        match read_dockerfile_from_stdin() {
            Ok(text) => dockerfile_text = Some(text),
            Err(why) => {
                eprintln!("capstone: build failed: {why}");
                return 1;
            }
        }
    }
    let empty_context = match from_stdin.then(tempfile::tempdir).transpose() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("capstone: build failed: create an empty build context: {e}");
            return 1;
        }
    };
    // Secrets from the environment are written to a private temporary file for the build.
    let secret_dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("capstone: build failed: create a directory for secrets: {e}");
            return 1;
        }
    };
    let mut secrets = Vec::new();
    for spec in &args.secret {
        match secret(spec, secret_dir.path()) {
            Ok(s) => secrets.push(s),
            Err(why) => {
                eprintln!("capstone: build failed: --secret {spec}: {why}");
                return 1;
            }
        }
    }
    let output = match args
        .output
        .as_deref()
        .map(crate::engine::build::export::parse)
        .transpose()
    {
        Ok(output) => output,
        Err(why) => {
            eprintln!("capstone: build failed: --output: {why}");
            return 1;
        }
    };
    let progress = match crate::engine::build::progress::Mode::parse(&args.progress) {
        Ok(mode) => mode,
        Err(why) => {
            eprintln!("capstone: build failed: --progress={why}");
            return 1;
        }
    };
    let opts = BuildOptions {
        root: paths.root.clone(),
        runroot: paths.runroot.clone(),
        context: match &empty_context {
            Some(dir) => dir.path().to_path_buf(),
            None => args.context,
        },
        dockerfile: args.file,
        dockerfile_text,
        labels,
        iidfile: args.iidfile,
        secrets,
        pull: args.pull,
        output,
        progress,
        tags: args.tag,
        build_args,
        target: args.target,
        no_cache: args.no_cache,
        network: args.network,
        quiet: args.quiet,
        classic_out: None,
    };
    match build(&opts) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("capstone: build failed: {e}");
            1
        }
    }
}

/// The Dockerfile from stdin. A tar archive there (Docker's other `build -` form, a whole
/// context) is refused with what to do instead.
fn read_dockerfile_from_stdin() -> Result<String, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read the Dockerfile from stdin: {e}"))?;
    let is_tar = bytes.len() >= 262 && &bytes[257..262] == b"ustar";
    if is_tar
        || crate::engine::build::archive::sniff(&bytes)
            != crate::engine::build::archive::Compression::None
    {
        return Err(
            "stdin holds an archive: a build context on stdin is not supported; \
                    extract it and give its directory"
                .into(),
        );
    }
    String::from_utf8(bytes).map_err(|_| "the Dockerfile on stdin is not UTF-8 text".into())
}

/// `--secret id=NAME,src=FILE` (or `source=`), or `id=NAME,env=VAR` (its value written to a
/// file in `dir`, readable by root only, removed with `dir` after the build).
fn secret(spec: &str, dir: &std::path::Path) -> Result<(String, PathBuf), String> {
    let mut id = None;
    let mut file = None;
    for field in spec.split(',') {
        match field.split_once('=') {
            Some(("id", v)) => id = Some(v.to_string()),
            Some(("src" | "source", v)) => file = Some(PathBuf::from(v)),
            Some(("env", var)) => {
                let value = std::env::var(var).map_err(|_| format!("{var} is not set"))?;
                let path = dir.join(format!("env-{var}"));
                std::fs::write(&path, value).map_err(|e| e.to_string())?;
                std::fs::set_permissions(
                    &path,
                    std::os::unix::fs::PermissionsExt::from_mode(0o400),
                )
                .map_err(|e| e.to_string())?;
                file = Some(path);
            }
            _ => {
                return Err(format!(
                    "{field:?}: use id=NAME,src=FILE or id=NAME,env=VAR"
                ));
            }
        }
    }
    let id = id.ok_or("give the secret an id=NAME")?;
    let file = file.ok_or("give the secret's src=FILE or env=VAR")?;
    if !file.is_file() {
        return Err(format!("{}: no such file", file.display()));
    }
    Ok((id, file))
}
