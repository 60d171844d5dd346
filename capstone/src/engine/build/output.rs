//! A `RUN` step's output. The container's process gets its stdout and stderr at clone(2),
//! copies of ours; so for the moment of the clone this process points its own fds 1 and 2 at
//! a pipe(2) (and fd 0 at `/dev/null`, as `docker build` gives `RUN` no input), then puts
//! them back. We read the pipe until every process of the container has closed it, echo what
//! arrives, and keep the last lines: when the command fails, the error quotes them (as
//! BuildKit's `ERROR: … exit code: 1` block does), so the reason is next to the line number.

use crate::{Error, Result};
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};

/// How many lines of a failed command's output the error quotes.
pub const TAIL_LINES: usize = 10;

/// Calls `spawn` (which clones the container) with our stdin pointed at `/dev/null` and our
/// stdout and stderr at a new pipe; returns what `spawn` returned and the pipe's reading end.
/// Once `spawn` has returned, only the container holds the writing end, so reading reaches
/// end-of-file exactly when every process of the container has exited or closed it.
pub fn capture<T>(spawn: impl FnOnce() -> T) -> Result<(T, File)> {
    let (read_end, write_end) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
    let null = File::open("/dev/null").map_err(Error::io("open", "/dev/null"))?;
    let spawned = {
        let _swapped = SwappedStdio::point_at(null.as_fd(), write_end.as_fd())?;
        spawn()
    }; // our own stdio is back here, whatever `spawn` did
    Ok((spawned, File::from(read_end)))
}

/// Reads `pipe` to its end, echoing it to our stdout when `echo` is set (not with `-q`);
/// returns its last [`TAIL_LINES`] lines.
pub fn echo_and_keep_tail(mut pipe: File, echo: bool) -> String {
    let mut last: VecDeque<u8> = VecDeque::new();
    let mut chunk = [0u8; 8192];
    let mut stdout = std::io::stdout();
    while let Ok(n) = pipe.read(&mut chunk) {
        if n == 0 {
            break;
        }
        if echo {
            let _ = stdout.write_all(&chunk[..n]);
            let _ = stdout.flush();
        }
        last.extend(&chunk[..n]);
        // Keep a bounded window: enough bytes for the last lines of any sane output.
        let excess = last.len().saturating_sub(16 * 1024);
        last.drain(..excess);
    }
    let text = String::from_utf8_lossy(last.make_contiguous()).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// Our fds 0, 1 and 2 pointed elsewhere (dup2(2)) until dropped, which restores them.
struct SwappedStdio {
    saved: [OwnedFd; 3],
}

impl SwappedStdio {
    fn point_at(input: impl AsFd, output: impl AsFd) -> Result<SwappedStdio> {
        // Anything still buffered must go to the real stdout, not into the pipe.
        let _ = std::io::stdout().flush();
        let saved = [
            keep(std::io::stdin().as_fd())?,
            keep(std::io::stdout().as_fd())?,
            keep(std::io::stderr().as_fd())?,
        ];
        let swap = || -> nix::Result<()> {
            nix::unistd::dup2_stdin(&input)?;
            nix::unistd::dup2_stdout(&output)?;
            nix::unistd::dup2_stderr(&output)
        };
        let swapped = SwappedStdio { saved };
        swap().map_err(Error::sys("dup2(2) of stdio onto the RUN output pipe"))?;
        Ok(swapped)
    }
}

/// A close-on-exec duplicate of `fd` (fcntl(2) `F_SETFD`), so the container never inherits it.
fn keep(fd: std::os::fd::BorrowedFd) -> Result<OwnedFd> {
    let copy = nix::unistd::dup(fd).map_err(Error::sys("dup(2) of stdio"))?;
    fcntl(&copy, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(Error::sys("fcntl(FD_CLOEXEC)"))?;
    Ok(copy)
}

impl Drop for SwappedStdio {
    fn drop(&mut self) {
        let [input, output, error] = &self.saved;
        let _ = nix::unistd::dup2_stdin(input);
        let _ = nix::unistd::dup2_stdout(output);
        let _ = nix::unistd::dup2_stderr(error);
    }
}
