//! The build's errors: each says what failed, on which Dockerfile line where there is one, and
//! what to do. Errors from the engine's other parts (store, overlay, container) are wrapped.

use std::path::PathBuf;

/// Everything that can go wrong while parsing a Dockerfile or building it.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The Dockerfile does not parse, or an instruction's arguments make no sense.
    #[error("dockerfile line {line}: {why}")]
    Syntax {
        /// 1-based line number in the Dockerfile.
        line: usize,
        /// What is wrong, and what would be accepted.
        why: String,
    },
    /// A step failed while it was being executed.
    #[error("dockerfile line {line}: {instruction}: {why}")]
    Step {
        /// 1-based line number in the Dockerfile.
        line: usize,
        /// The instruction as written (`RUN make`).
        instruction: String,
        /// What went wrong.
        why: String,
    },
    /// A `RUN` command exited with a non-zero code.
    #[error(
        "dockerfile line {line}: {instruction}: the command returned a non-zero code: {code} (its output is above)"
    )]
    RunFailed {
        /// 1-based line number in the Dockerfile.
        line: usize,
        /// The instruction as written.
        instruction: String,
        /// Its exit code.
        code: i32,
    },
    /// A bad option to the build itself (`--target`, `--build-arg`, `-t`).
    #[error("invalid {what} {value:?}: {why}")]
    Invalid {
        /// Which option.
        what: &'static str,
        /// The value given.
        value: String,
        /// Why, and what would be accepted.
        why: String,
    },
    /// A file operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// On which file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// From the rest of the engine (store, references, overlay, container).
    #[error(transparent)]
    Engine(#[from] crate::Error),
}

impl From<images::Error> for BuildError {
    fn from(e: images::Error) -> BuildError {
        BuildError::Engine(e.into())
    }
}

impl From<overlay::Error> for BuildError {
    fn from(e: overlay::Error) -> BuildError {
        BuildError::Engine(e.into())
    }
}

impl From<namespaces::Error> for BuildError {
    fn from(e: namespaces::Error) -> BuildError {
        BuildError::Engine(e.into())
    }
}

/// Results of the build.
pub type Result<T, E = BuildError> = std::result::Result<T, E>;

impl BuildError {
    /// A syntax error on `line`.
    pub fn syntax(line: usize, why: impl Into<String>) -> BuildError {
        BuildError::Syntax {
            line,
            why: why.into(),
        }
    }

    /// Wraps an I/O error with the action and the path.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> BuildError {
        let path = path.into();
        move |source| BuildError::Io {
            action,
            path,
            source,
        }
    }
}
