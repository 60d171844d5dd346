//! From the command line's `-f`, `-p`, `--env-file`, `--profile` and `--project-directory` to
//! one resolved [`Project`]: find the files, read the variables, parse and normalise each file
//! (so an error names the file it is in), merge them in order, then resolve what Docker Compose
//! resolves (the project name, `env_file` contents, the default network, resource names,
//! inactive profiles) and [`validate`](super::validate) the result.

use super::error::{ComposeError, Result};
use super::interpolate::{Vars, read_env_file};
use super::merge::merge;
use super::normalize::{Context, normalize};
use super::resolve;
use super::spec::ComposeFile;
use std::path::{Path, PathBuf};
use yaml_serde::Value;

/// The default file names, in Docker Compose's order of preference.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];
const OVERRIDE_FILES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// The project-level options every compose command takes.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// `-f`, in order (empty: the default names, searched from the current directory up).
    pub files: Vec<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--env-file` (empty: `.env` in the project directory, if there is one).
    pub env_files: Vec<PathBuf>,
    /// `--profile`.
    pub profiles: Vec<String>,
    /// `--project-directory` (default: the first file's directory).
    pub project_directory: Option<PathBuf>,
}

/// A loaded project.
#[derive(Debug)]
pub struct Project {
    /// The project name: the prefix of its containers, networks and volumes.
    pub name: String,
    /// The project directory (relative paths are taken from it).
    pub working_dir: PathBuf,
    /// The files read, in merge order.
    pub config_files: Vec<PathBuf>,
    /// The merged, resolved model (`name` is set to the project name).
    pub model: ComposeFile,
}

/// Loads a project; `env` is the process environment (it overrides `.env`).
pub fn load(opts: &Options, env: &Vars) -> Result<Project> {
    let cwd = std::env::current_dir().map_err(|source| ComposeError::Read {
        path: ".".into(),
        source,
    })?;
    let files = config_files(opts, env, &cwd)?;
    let working_dir = match &opts.project_directory {
        Some(dir) => cwd.join(dir),
        None => files[0]
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(cwd.clone()),
    };
    let mut vars = Vars::new();
    let env_files = match opts.env_files.is_empty() {
        true => vec![working_dir.join(".env")]
            .into_iter()
            .filter(|p| p.is_file())
            .collect(),
        false => opts
            .env_files
            .iter()
            .map(|f| cwd.join(f))
            .collect::<Vec<_>>(),
    };
    for file in &env_files {
        vars.extend(read_env_file(file)?);
    }
    vars.extend(env.iter().map(|(k, v)| (k.clone(), v.clone())));

    let mut merged: Option<Value> = None;
    for path in &files {
        let value = parse_file(path, &vars, &working_dir)?;
        match &mut merged {
            None => merged = Some(value),
            Some(base) => merge(base, value),
        }
    }
    let label = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let mut model: ComposeFile = typed(merged.unwrap_or(Value::Null), &label)?;
    let name = resolve::project_name(opts.project_name.as_deref(), &vars, &model, &working_dir)?;
    resolve::resolve(&mut model, &name, &vars, &opts.profiles)?;
    super::validate::validate(&model, &label)?;
    model.name = Some(name.clone());
    Ok(Project {
        name,
        working_dir,
        config_files: files,
        model,
    })
}

fn config_files(opts: &Options, env: &Vars, cwd: &Path) -> Result<Vec<PathBuf>> {
    if !opts.files.is_empty() {
        return Ok(opts.files.iter().map(|f| cwd.join(f)).collect());
    }
    if let Some(list) = env.get("COMPOSE_FILE").filter(|l| !l.is_empty()) {
        return Ok(list.split(':').map(|f| cwd.join(f)).collect());
    }
    for dir in cwd.ancestors() {
        if let Some(main) = DEFAULT_FILES
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file())
        {
            let mut files = vec![main];
            files.extend(
                OVERRIDE_FILES
                    .iter()
                    .map(|n| dir.join(n))
                    .find(|p| p.is_file()),
            );
            return Ok(files);
        }
    }
    Err(ComposeError::NoFile(cwd.to_path_buf()))
}

/// Reads one file: YAML (anchors resolved by the parser, `<<` merge keys applied), then
/// normalised, then checked against the typed model so a wrong key or type names this file.
fn parse_file(path: &Path, vars: &Vars, project_dir: &Path) -> Result<Value> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ComposeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let yaml_error = |e: yaml_serde::Error| ComposeError::Yaml {
        file: file.clone(),
        message: e.to_string(),
    };
    let mut value: Value = yaml_serde::from_str(&text).map_err(yaml_error)?;
    value.apply_merge().map_err(yaml_error)?;
    normalize(
        &mut value,
        &Context {
            file: &file,
            vars,
            project_dir,
        },
    )?;
    typed::<ComposeFile>(value.clone(), &file)?;
    Ok(value)
}

/// Deserialises with the key path of the first error (serde_path_to_error).
fn typed<T: serde::de::DeserializeOwned>(value: Value, file: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        // serde names Rust types; say what a compose file writes instead.
        let message = e
            .inner()
            .to_string()
            .replace("expected u16", "expected a port number (0-65535)")
            .replace("expected u32", "expected a whole number")
            .replace("expected i64", "expected a whole number")
            .replace("expected f64", "expected a number");
        // serde: "unknown field `foo`, expected one of …" → Docker Compose's wording.
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((key, _)) = rest.split_once('`')
        {
            let parent = path.rsplit_once('.').map_or("(top level)", |(p, _)| p);
            return ComposeError::UnknownKey {
                file: file.into(),
                path: parent.into(),
                key: key.into(),
            };
        }
        ComposeError::Invalid {
            file: file.into(),
            path,
            message,
        }
    })
}
