//! The engine's errors: one enum, each variant carrying what failed and on what, with a message
//! that says what to do. The CLI prints them as `capstone: …` and picks Docker's exit code
//! from the verb: 125 when `run`, `create` or `start` fail before the container's command
//! runs, 1 for other commands (see `cli::main`).

mod volume;

pub use volume::VolumeError;

use std::path::PathBuf;

/// Everything that can go wrong in an engine command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No container has this id, id prefix or name.
    #[error("no such container: {0}")]
    NoSuchContainer(String),
    /// An id prefix matches more than one container.
    #[error("multiple containers match {0:?}: use more characters of the id, or the name")]
    Ambiguous(String),
    /// `--name` is taken (Docker's wording, so students recognise it).
    #[error(
        "conflict: the container name \"/{name}\" is already in use by container \"{id}\": remove (or rename) that container to be able to reuse that name"
    )]
    NameInUse {
        /// The name asked for.
        name: String,
        /// The container holding it.
        id: String,
    },
    /// The container is in a state that forbids the command.
    #[error("container {id} is {state}: {hint}")]
    WrongState {
        /// Container id (short).
        id: String,
        /// Its current state (`running`, `paused`, …).
        state: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// An image reference names nothing in the store.
    #[error("no such image: {0}: pull or import it first (`capstone images` lists what is here)")]
    NoSuchImage(String),
    /// `rmi` of an image that a container still uses.
    #[error(
        "conflict: unable to remove image {image}: it is used by container {container}: remove the container first, or use -f"
    )]
    ImageInUse {
        /// The image as typed.
        image: String,
        /// Short id of a container using it.
        container: String,
    },
    /// A flag value or argument that makes no sense.
    #[error("invalid {what} {value:?}: {why}")]
    Invalid {
        /// Which flag or argument.
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
    /// A system call failed.
    #[error("{action} failed: {errno}")]
    Sys {
        /// The call and its argument.
        action: String,
        /// The errno.
        errno: nix::errno::Errno,
    },
    /// A state file is not what we wrote.
    #[error("corrupt state file {path}: {why}: remove the container with `capstone rm -f`")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The container's first process could not be started.
    #[error("failed to start container {id}: {why}")]
    Start {
        /// Container id (short).
        id: String,
        /// Why.
        why: String,
    },
    /// No network has this name or id.
    #[error(
        "network {0} not found: `capstone network ls` lists them, `capstone network create` makes one"
    )]
    NoSuchNetwork(String),
    /// `network create` of a name that is taken.
    #[error("network with name {0} already exists: pick another name or remove it first")]
    NetworkExists(String),
    /// `network rm` while a container is plugged in.
    #[error(
        "error while removing network {network}: container {container} is attached: stop it or `capstone network disconnect {network} {container}` first"
    )]
    NetworkInUse {
        /// The network.
        network: String,
        /// A container holding an address on it (short id).
        container: String,
    },
    /// A teardown that removed what it could and met errors: every one of them, in order
    /// (lesson 06's `TeardownErrors`, or the steps of a container's exit).
    #[error("teardown incomplete: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Teardown(Vec<Error>),
    /// `pause`/`unpause` of a container whose cgroup is no longer there (removed by hand, or
    /// its monitor died and took it along).
    #[error(
        "container {id} has no cgroup any more, so it cannot be frozen or thawed: stop it and start it again"
    )]
    CgroupGone {
        /// Container id (short).
        id: String,
    },
    /// Setting the process's capability sets (capabilities(7)) failed.
    #[error("cannot {action} (capabilities(7)): {why}")]
    Capabilities {
        /// What was being set.
        action: &'static str,
        /// The library's reason.
        why: String,
    },
    /// The confinement asked for cannot be had: an unknown capability, a seccomp profile that
    /// does not load or compile (lesson 07 names the JSON path of the mistake).
    #[error("{0}")]
    Confinement(String),
    /// Preparing a build's `RUN` container failed before its command ran.
    #[error("cannot prepare the RUN step's container: {0}")]
    RunStep(String),
    /// From the network library (lesson 06).
    #[error(transparent)]
    Network(#[from] ::network::Error),
    /// From the images library (lesson 04).
    #[error(transparent)]
    Images(#[from] images::Error),
    /// From the overlay library (lesson 03).
    #[error(transparent)]
    Overlay(#[from] overlay::Error),
    /// From the cgroups library (lesson 02).
    #[error(transparent)]
    Cgroups(#[from] cgroups::Error),
    /// From the namespaces library (lesson 01).
    #[error(transparent)]
    Namespaces(#[from] namespaces::Error),
    /// From the registry library (lesson 05).
    #[error(transparent)]
    Registry(#[from] registry::Error),
    /// From volumes and mounts (`-v`, `volume …`).
    #[error(transparent)]
    Volume(#[from] VolumeError),
    /// An image reference that does not parse.
    #[error(transparent)]
    Reference(#[from] registry::reference::ReferenceError),
    /// The registry wants credentials we do not have (or no longer accepts them).
    #[error(
        "authentication required by {registry}: run `capstone login {registry}` (and check the user may push there)"
    )]
    LoginRequired {
        /// The registry to log in to.
        registry: String,
    },
    /// `push` of a name with no image behind it here (Docker's wording).
    #[error(
        "an image does not exist locally with the tag: {0}: tag one first (`capstone tag IMAGE {0}`)"
    )]
    NotTaggedHere(String),
    /// `build`: the Dockerfile does not parse, or an instruction's arguments make no sense.
    #[error("dockerfile line {line}: {why}")]
    Dockerfile {
        /// 1-based line number in the Dockerfile.
        line: usize,
        /// What is wrong, and what would be accepted.
        why: String,
    },
    /// `build`: a step failed while it was being executed.
    #[error("dockerfile line {line}: {instruction}: {why}")]
    BuildStep {
        /// 1-based line number in the Dockerfile.
        line: usize,
        /// The instruction as written (`COPY app /app`).
        instruction: String,
        /// What went wrong.
        why: String,
    },
    /// `build`: a `RUN` command exited with a non-zero code; `output` is the tail of what it
    /// printed (stdout and stderr, as the terminal showed them).
    #[error(
        "dockerfile line {line}: {instruction}: exit code {code}{}",
        tail_block(output)
    )]
    RunFailed {
        /// 1-based line number in the Dockerfile.
        line: usize,
        /// The instruction as written (`RUN make`).
        instruction: String,
        /// Its exit code.
        code: i32,
        /// Its last lines of output.
        output: String,
    },
}

/// Results of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the action and the path.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// Wraps an errno with the call that failed.
    pub fn sys(action: impl Into<String>) -> impl FnOnce(nix::errno::Errno) -> Error {
        let action = action.into();
        move |errno| Error::Sys { action, errno }
    }

    /// A Dockerfile error on `line`.
    pub fn dockerfile(line: usize, why: impl Into<String>) -> Error {
        Error::Dockerfile {
            line,
            why: why.into(),
        }
    }

    /// A bad flag value.
    pub fn invalid(what: &'static str, value: impl Into<String>, why: impl Into<String>) -> Error {
        Error::Invalid {
            what,
            value: value.into(),
            why: why.into(),
        }
    }
}

/// A command's last lines of output, indented under the error that quotes them.
fn tail_block(output: &str) -> String {
    if output.trim().is_empty() {
        return ": it printed nothing".into();
    }
    let lines: Vec<String> = output.lines().map(|l| format!("\n  | {l}")).collect();
    format!(", after printing (last lines):{}", lines.concat())
}
