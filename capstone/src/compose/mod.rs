//! `capstone compose`: the Compose Specification's front end. It reads a project's compose
//! files and drives the [`crate::Engine`] with them, as Docker Compose drives dockerd: a
//! client that keeps no state of its own and finds its containers again by their labels
//! ([`labels`]). `config` prints the resolved model; [`up`], [`down`], [`logs`],
//! [`exec_run`] and the [`verbs`] act on the project's containers, networks and volumes.
//!
//! Reading a project is a pipeline, one module per stage:
//! [`load`](mod@load) finds the files and variables → YAML parsing (anchors, `<<` merge keys) →
//! [`normalize`] (`x-` keys dropped, [`interpolate`] `${VAR}`, [`short`] syntaxes to long) →
//! [`spec`] (the typed model, unknown keys rejected) → [`merge`] (several `-f`) →
//! [`resolve`] (project name, profiles, default network, resource names) → [`validate`]
//! (cycles, undefined names).
//!
//! The YAML crate is `yaml_serde`: serde_yaml's code as kept by the YAML organisation since
//! serde_yaml was archived (March 2024), so its `Value` tree, anchors, duplicate-key errors
//! and `apply_merge` (the `<<` merge key) are the ones the Rust ecosystem already knows.
//! `serde_yaml_ng` and `serde_norway` are forks of the same code kept by individuals;
//! `serde-saphyr` deserialises straight into types with no `Value` tree, and compose needs a
//! tree to interpolate, rewrite and merge before the types see it. `compose_spec` (typed
//! Compose Specification) was considered and not used: it is MPL-licensed, builds on the
//! archived serde_yaml, and hides the short → long rewriting that students should be able to
//! read here.

pub mod args;
pub mod container_options;
pub mod down;
pub mod error;
pub mod exec_run;
pub mod images;
pub mod interpolate;
pub mod labels;
pub mod load;
pub mod logs;
pub mod merge;
pub mod normalize;
pub mod resolve;
pub mod resources;
pub mod restart_health;
pub mod session;
pub mod short;
pub mod spec;
pub mod up;
pub mod validate;
pub mod verbs;

pub use error::ComposeError;
pub use load::{Options, Project, load};

use args::ComposeCommand;
use clap::Args;
use session::{Session, Table};
use std::path::PathBuf;

/// `capstone compose [OPTIONS] COMMAND`: the project options, then the verb.
#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// Compose configuration files, merged in order (default: compose.yaml and its kin).
    #[arg(short = 'f', long = "file")]
    pub files: Vec<PathBuf>,
    /// Project name (default: `name:` in the file, or the directory's name).
    #[arg(short = 'p', long = "project-name")]
    pub project_name: Option<String>,
    /// Read variables from this file instead of `.env` (repeatable).
    #[arg(long = "env-file")]
    pub env_files: Vec<PathBuf>,
    /// Enable services of this profile (repeatable).
    #[arg(long = "profile")]
    pub profiles: Vec<String>,
    /// The project directory (default: the first file's directory).
    #[arg(long = "project-directory")]
    pub project_directory: Option<PathBuf>,
    /// The verb.
    #[command(subcommand)]
    pub command: ComposeCommand,
}

/// `compose config`'s flags (Docker Compose's names).
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Only check; print nothing.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the service names, one a line.
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one a line.
    #[arg(long)]
    pub volumes: bool,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
}

/// How `config` prints the model.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// As a compose file.
    Yaml,
    /// As one JSON document.
    Json,
}

/// Runs a compose verb; an error is printed here as `capstone compose: …` and gives exit code 1
/// (Docker Compose's code for an invalid project). `table` lays out `ps`'s and the other
/// tables as the front end does.
pub fn main(engine: &crate::Engine, args: ComposeArgs, table: Table) -> crate::Result<i32> {
    let options = Options {
        files: args.files,
        project_name: args.project_name,
        env_files: args.env_files,
        profiles: args.profiles,
        project_directory: args.project_directory,
    };
    let env: interpolate::Vars = std::env::vars().collect();
    let result = match args.command {
        // `ls` lists every project on the engine: it needs no compose file.
        ComposeCommand::Ls(flags) => verbs::ls(engine, &flags, table),
        command => load(&options, &env).and_then(|project| {
            let s = Session {
                table,
                engine,
                project: &project,
            };
            run(&s, command)
        }),
    };
    match result {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("capstone compose: {e}");
            Ok(1)
        }
    }
}

fn run(s: &Session, command: ComposeCommand) -> Result<i32, ComposeError> {
    match command {
        ComposeCommand::Config(flags) => config(s.project, &flags).map(|()| 0),
        ComposeCommand::Up(a) => up::up(s, &a),
        ComposeCommand::Down(a) => down::down(s, &a),
        ComposeCommand::Ps(a) => verbs::ps(s, &a),
        ComposeCommand::Logs(a) => logs::logs(s, &a),
        ComposeCommand::Exec(a) => exec_run::exec(s, &a),
        ComposeCommand::Run(a) => exec_run::run(s, &a),
        ComposeCommand::Build(a) => images::build_all(s, &a.services).map(|()| 0),
        ComposeCommand::Pull(a) => images::pull_all(s, &a.services).map(|()| 0),
        ComposeCommand::Push(a) => images::push_all(s, &a),
        ComposeCommand::Start(a) => verbs::start(s, &a.services),
        ComposeCommand::Stop(a) => verbs::stop(s, &a),
        ComposeCommand::Restart(a) => verbs::restart(s, &a),
        ComposeCommand::Rm(a) => verbs::rm(s, &a),
        ComposeCommand::Kill(a) => verbs::kill(s, &a),
        ComposeCommand::Top(a) => verbs::top(s, &a.services),
        ComposeCommand::Images(a) => verbs::images(s, &a.services),
        ComposeCommand::Port(a) => verbs::port(s, &a),
        ComposeCommand::Ls(a) => verbs::ls(s.engine, &a, s.table),
    }
}

fn config(project: &Project, flags: &ConfigArgs) -> Result<(), ComposeError> {
    if flags.quiet {
        return Ok(());
    }
    if flags.services || flags.volumes {
        let names: Vec<&String> = match flags.services {
            true => project.model.services.keys().collect(),
            false => project.model.volumes.keys().collect(),
        };
        names.iter().for_each(|n| println!("{n}"));
        return Ok(());
    }
    let cannot =
        |e: yaml_serde::Error| ComposeError::Project(format!("cannot print the model: {e}"));
    let mut value = yaml_serde::to_value(&project.model).map_err(cannot)?;
    escape_dollars(&mut value);
    match flags.format {
        Format::Yaml => print!("{}", yaml_serde::to_string(&value).map_err(cannot)?),
        Format::Json => {
            let json = serde_json::to_string_pretty(&value)
                .map_err(|e| ComposeError::Project(format!("cannot print the model: {e}")))?;
            println!("{json}");
        }
    }
    Ok(())
}

/// `$` → `$$` in every string, so the printed model reads back as the same model (a literal
/// `$` must be written `$$` in a compose file), as `docker compose config` prints it.
fn escape_dollars(value: &mut yaml_serde::Value) {
    match value {
        yaml_serde::Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        yaml_serde::Value::Mapping(map) => map.values_mut().for_each(escape_dollars),
        yaml_serde::Value::Sequence(items) => items.iter_mut().for_each(escape_dollars),
        _ => {}
    }
}
