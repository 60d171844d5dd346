//! Compose's errors: each names the file and the key path (`services.web.ports[0]`), the way
//! Docker Compose's do, and says what to do.

use std::path::PathBuf;

/// Everything that can go wrong while reading a project's compose files.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// No `-f` was given and no default file exists here or above.
    #[error(
        "no configuration file provided: not found in {0} or its parents (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml): use -f FILE"
    )]
    NoFile(PathBuf),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not YAML (or its anchors or merge keys are broken).
    #[error("{file}: not valid YAML: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A key that the Compose Specification does not have.
    #[error(
        "{file}: {path} additional property {key:?} is not allowed: check its spelling and level"
    )]
    UnknownKey {
        /// The file.
        file: String,
        /// The object holding the key (`services.web`).
        path: String,
        /// The key.
        key: String,
    },
    /// A key of the Compose Specification that capstone does not implement.
    #[error(
        "{file}: {path}: {key:?} is part of the Compose Specification but capstone does not support it: remove it"
    )]
    Unsupported {
        /// The file.
        file: String,
        /// The object holding the key.
        path: String,
        /// The key.
        key: String,
    },
    /// A value of the wrong type or form.
    #[error("{file}: {path}: {message}")]
    Invalid {
        /// The file (or `the merged model` after several `-f`).
        file: String,
        /// The key path.
        path: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// `${VAR:?message}` with VAR unset or empty.
    #[error("{file}: {path}: required variable {var} is missing a value: {message}")]
    RequiredVariable {
        /// The file.
        file: String,
        /// The key path of the value.
        path: String,
        /// The variable.
        var: String,
        /// The file's message.
        message: String,
    },
    /// A project-level problem found after merging (a cycle, an undefined network…).
    #[error("{0}")]
    Project(String),
    /// The engine refused or failed an operation (the message names the container, network…).
    #[error("{0}")]
    Engine(#[from] crate::Error),
}

/// Compose's result type.
pub type Result<T, E = ComposeError> = std::result::Result<T, E>;
