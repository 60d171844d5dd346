//! The container's last step: execve(2) of its command, looked up in the container's own
//! `PATH` the way a shell does it, and — when that fails — an error that says why, with the
//! shell's exit codes (127: not found, 126: found but cannot be executed).
//!
//! execve(2) takes C strings, which end at the first NUL byte: an argument with a NUL inside
//! cannot be passed whole. [`check_strings`] refuses such a command before any process is
//! cloned, instead of silently cutting or emptying the argument.

use crate::{Error, Result};
use nix::errno::Errno;
use std::ffi::CString;
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

/// The `PATH` a container gets when its environment does not set one (Docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Exit code when the command exists but cannot be executed (as in sh(1) and Docker).
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit code when the command is not found in the container (as in sh(1) and Docker).
pub const EXIT_NOT_FOUND: i32 = 127;

/// Refuses an empty command, and any argument or environment entry execve(2) could not pass
/// whole (one holding a NUL byte). Call it before cloning, so the caller gets the error.
pub fn check_strings(args: &[String], env: &[String]) -> Result<()> {
    if args.is_empty() {
        return Err(Error::Invalid(
            "no command given: say what to run, e.g. `sh`".into(),
        ));
    }
    let with_nul = |what: &str, i: usize, s: &str| {
        Error::Invalid(format!(
            "{what} {i} ({s:?}) contains a NUL byte, which execve(2) cannot pass: remove it"
        ))
    };
    for (i, arg) in args.iter().enumerate() {
        if arg.contains('\0') {
            return Err(with_nul("argument", i, arg));
        }
    }
    for (i, entry) in env.iter().enumerate() {
        if entry.contains('\0') {
            return Err(with_nul("environment entry", i, entry));
        }
    }
    Ok(())
}

/// Why execve(2) of the command did not happen.
#[derive(Debug)]
pub enum ExecError {
    /// No file of that name: not in any `PATH` directory, or no such path.
    NotFound {
        /// The command as given (`args[0]`).
        command: String,
    },
    /// A file was found but execve(2) refused it.
    Failed {
        /// The file execve(2) was asked to run.
        path: PathBuf,
        /// The kernel's reason.
        errno: Errno,
    },
    /// An argument or environment entry holds a NUL byte (see [`check_strings`]).
    Nul,
}

impl ExecError {
    /// The shell's exit code for this failure: 127 if nothing was found, else 126.
    pub fn exit_code(&self) -> i32 {
        match self {
            ExecError::NotFound { .. } => EXIT_NOT_FOUND,
            _ => EXIT_CANNOT_EXECUTE,
        }
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::NotFound { command } if command.contains('/') => {
                write!(
                    f,
                    "{command}: command not found in the container: no such file"
                )
            }
            ExecError::NotFound { command } => write!(
                f,
                "{command}: command not found in the container: executable file not found in $PATH"
            ),
            ExecError::Failed { path, errno } => {
                write!(f, "{}: cannot execute: {}", path.display(), meaning(*errno))
            }
            ExecError::Nul => write!(f, "an argument contains a NUL byte"),
        }
    }
}

/// What an errno from execve(2) means for the user (see execve(2), ERRORS).
pub fn meaning(errno: Errno) -> String {
    match crate::exec_meanings::MEANINGS
        .iter()
        .find(|(number, _)| *number == errno as i32)
    {
        Some((_, why)) => format!("{why} [{}]", errno.desc()),
        None => format!("execve(2) failed: {errno}"),
    }
}

/// execve(2) of `args[0]`, looked up in `env`'s `PATH` (the container's, not the host's) unless
/// it contains a `/`. Only returns on failure: on success this process *is* the command now.
pub fn exec(args: &[String], env: &[String]) -> ExecError {
    exec_through(args, env, Through::Direct)
}

/// Which program makes the final execve(2) of the command.
#[derive(Clone, Copy, Debug)]
pub enum Through<'a> {
    /// This process itself.
    Direct,
    /// A dmz (see [`crate::hooks::Hooks::exec_through`]), run with execveat(2)
    /// `AT_EMPTY_PATH` from this descriptor as `dmz PATH ARGV0 ARGS…`.
    Dmz(BorrowedFd<'a>),
    /// The dmz as the container's init: `--init PATH ARGV0 ARGS…`.
    DmzInit(BorrowedFd<'a>),
}

/// [`exec`] through `via`: the command is still looked up here, in the container's `PATH`,
/// but the dmz execs it — so the last program this process runs before the command is the
/// dmz, and a `#!/proc/self/exe` command runs the dmz again, not the engine's binary.
pub fn exec_through(args: &[String], env: &[String], via: Through) -> ExecError {
    let (Ok(argv), Ok(envp)) = (to_c(args), to_c(env)) else {
        return ExecError::Nul;
    };
    let path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    let candidates: Vec<PathBuf> = if args[0].contains('/') {
        vec![PathBuf::from(&args[0])]
    } else {
        path.split(':')
            .map(|dir| Path::new(dir).join(&args[0]))
            .collect()
    };
    let mut last = ExecError::NotFound {
        command: args[0].clone(),
    };
    // Like a shell: skip names that do not exist, try the rest in order, report the last failure.
    for candidate in candidates.iter().filter(|c| c.exists()) {
        let Ok(program) = CString::new(candidate.as_os_str().as_encoded_bytes()) else {
            continue;
        };
        let errno = match via {
            Through::Direct => nix::unistd::execve(&program, &argv, &envp).unwrap_err(),
            Through::Dmz(dmz) => exec_dmz(dmz, [program], &argv, &envp),
            Through::DmzInit(dmz) => exec_dmz(dmz, [c"--init".into(), program], &argv, &envp),
        };
        // Through a dmz, this execve(2) was the dmz's own: it is the one that failed.
        let path = match via {
            Through::Direct => candidate.clone(),
            _ => PathBuf::from("the runtime's dmz (execveat(2) of its sealed copy)"),
        };
        last = ExecError::Failed { path, errno };
    }
    last
}

/// execveat(2) of the dmz with `before` and then the command's argv; returns only on failure.
fn exec_dmz<const N: usize>(
    dmz: BorrowedFd,
    before: [CString; N],
    argv: &[CString],
    envp: &[CString],
) -> Errno {
    let all: Vec<&CString> = before.iter().chain(argv).collect();
    let flags = nix::fcntl::AtFlags::AT_EMPTY_PATH;
    nix::unistd::execveat(dmz, c"", &all, envp, flags).unwrap_err()
}

/// [`exec`], and on failure say why on stderr (`container: …`) and return the shell's exit code
/// for it — the exit code of the container's process.
pub fn exec_or_report(args: &[String], env: &[String]) -> i32 {
    exec_through_or_report(args, env, Through::Direct)
}

/// [`exec_through`], and on failure say why, as [`exec_or_report`] does.
pub fn exec_through_or_report(args: &[String], env: &[String], via: Through) -> i32 {
    let err = exec_through(args, env, via);
    eprintln!("container: {err}");
    err.exit_code()
}

fn to_c(strings: &[String]) -> std::result::Result<Vec<CString>, std::ffi::NulError> {
    strings.iter().map(|s| CString::new(s.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_byte_in_an_argument_or_the_environment_is_refused_by_position() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let err = check_strings(&args(&["echo", "a\0b"]), &[]).unwrap_err();
        assert!(err.to_string().contains("argument 1"), "{err}");
        let err = check_strings(&args(&["true"]), &args(&["X=1\0"])).unwrap_err();
        assert!(err.to_string().contains("environment entry 0"), "{err}");
        assert!(check_strings(&[], &[]).is_err());
        assert!(check_strings(&args(&["true"]), &args(&["X=1"])).is_ok());
    }

    #[test]
    fn each_exec_errno_is_explained_in_its_own_words() {
        assert!(meaning(Errno::ENOEXEC).starts_with("not an executable format"));
        assert!(meaning(Errno::EACCES).starts_with("permission denied"));
        assert!(meaning(Errno::ENOENT).contains("interpreter is missing"));
        assert_ne!(meaning(Errno::EACCES), meaning(Errno::ENOEXEC));
    }
}
