//! A `RUN` step's output. The container's stdout and stderr are a pipe(2) (and its stdin
//! `/dev/null`, as `docker build` gives `RUN` no input), which lesson 01 makes its fds 0-2. We
//! read the pipe until every process of the container has closed it, echo what arrives, and
//! keep the last lines: when the command fails, the error quotes them (as
//! BuildKit's `ERROR: … exit code: 1` block does), so the reason is next to the line number.

use super::progress::{Echo, numbered};
use crate::{Error, Result};
use nix::fcntl::OFlag;
use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// How many lines of a failed command's output the error quotes.
pub const TAIL_LINES: usize = 10;

/// The step's stdio: fd 0 `/dev/null` (as `docker build` gives `RUN` no input), fds 1 and 2
/// the writing end of a new pipe(2), for lesson 01's `ContainerSpec::stdio`; and the pipe's
/// reading end, for us.
#[derive(Debug)]
pub struct StepStdio {
    null: File,
    write_end: OwnedFd,
    read_end: File,
}

impl StepStdio {
    /// Makes the pipe (close-on-exec: only the container's dup2(2)'d copies reach the command).
    pub fn new() -> Result<StepStdio> {
        let (read_end, write_end) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
        let null = File::open("/dev/null").map_err(Error::io("open", "/dev/null"))?;
        Ok(StepStdio {
            null,
            write_end,
            read_end: File::from(read_end),
        })
    }

    /// The container's fds 0, 1 and 2.
    pub fn fds(&self) -> [RawFd; 3] {
        let out = self.write_end.as_raw_fd();
        [self.null.as_raw_fd(), out, out]
    }

    /// Drops our copies once the container is cloned: then only the container holds the
    /// writing end, so reading reaches end-of-file exactly when every process of the container
    /// has exited or closed it.
    pub fn into_read_end(self) -> File {
        self.read_end
    }
}

/// Reads `pipe` to its end, echoing it as `echo` says (as it is on the classic output, or
/// numbered on stderr in BuildKit's plain form, or not at all); returns its last
/// [`TAIL_LINES`] lines.
pub fn echo_and_keep_tail(mut pipe: File, echo: Echo) -> String {
    let mut last: VecDeque<u8> = VecDeque::new();
    let mut chunk = [0u8; 8192];
    let start = std::time::Instant::now();
    let mut pending = String::new();
    while let Ok(n) = pipe.read(&mut chunk) {
        if n == 0 {
            break;
        }
        match &echo {
            Echo::Raw(out) => out.write(&chunk[..n]),
            Echo::Numbered(step) => {
                numbered(
                    *step,
                    start,
                    &mut pending,
                    &String::from_utf8_lossy(&chunk[..n]),
                );
            }
            Echo::Off => {}
        }
        last.extend(&chunk[..n]);
        // Keep a bounded window: enough bytes for the last lines of any sane output.
        let excess = last.len().saturating_sub(16 * 1024);
        last.drain(..excess);
    }
    if let Echo::Numbered(step) = echo
        && !pending.is_empty()
    {
        numbered(step, start, &mut pending, "\n"); // a last line without its newline
    }
    let text = String::from_utf8_lossy(last.make_contiguous()).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}
