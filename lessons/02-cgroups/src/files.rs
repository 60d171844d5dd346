//! Reading and writing cgroup files.
//!
//! A cgroup is driven entirely through small text files (cgroups(7), "Cgroups version 1/2
//! filesystem"): write a number to set a limit, read a line to get a statistic. These helpers
//! do exactly that, and turn every failure into an [`Error`] naming the file.

use crate::error::{Error, Result};
use std::io::ErrorKind;
use std::path::Path;
use std::time::{Duration, Instant};

/// Reads a whole cgroup file with read(2), e.g. `memory.current`.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| match source.kind() {
        ErrorKind::PermissionDenied => Error::PermissionDenied {
            action: "read",
            path: path.into(),
        },
        _ => Error::Io {
            action: "read",
            path: path.into(),
            source,
        },
    })
}

/// Writes one value into a cgroup file with a single write(2), as the kernel expects
/// (it parses each write on its own; see "Interface Files" in the kernel's cgroup-v2.rst).
pub fn write(path: &Path, value: &str) -> Result<()> {
    std::fs::write(path, value).map_err(|source| match source.kind() {
        ErrorKind::PermissionDenied => Error::PermissionDenied {
            action: "write to",
            path: path.into(),
        },
        ErrorKind::NotFound => Error::Io {
            action: "open",
            path: path.into(),
            source,
        },
        _ => Error::Write {
            path: path.into(),
            value: value.to_string(),
            source,
        },
    })
}

/// Reads a file holding one number, like `pids.current` or `memory.max_usage_in_bytes`.
/// `max` (v2's word for "no limit") reads as `None`.
pub fn read_u64(path: &Path) -> Result<Option<u64>> {
    let text = read(path)?;
    let text = text.trim();
    if text == "max" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| Error::Parse {
        path: path.into(),
        content: text.into(),
    })
}

/// Looks up `key` in a "flat keyed" file (`key value` per line), such as `memory.events`,
/// `cpu.stat`, `memory.oom_control` or `cgroup.events`. A key the kernel does not print reads
/// as `None` (older kernels lack some).
pub fn read_key(path: &Path, key: &str) -> Result<Option<u64>> {
    let text = read(path)?;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some(key) {
            let value = words.next().unwrap_or_default();
            return value.parse().map(Some).map_err(|_| Error::Parse {
                path: path.into(),
                content: line.into(),
            });
        }
    }
    Ok(None)
}

/// Re-checks `done` every few milliseconds until it returns `true` or `deadline` passes.
///
/// cgroup state changes (a freeze completing, the last process leaving) happen
/// asynchronously in the kernel. v2 can notify through inotify on `cgroup.events`; polling
/// with a deadline works on v1 and v2 alike and keeps the code short.
pub fn wait_until(
    what: &'static str,
    path: &Path,
    deadline: Duration,
    mut done: impl FnMut() -> Result<bool>,
) -> Result<()> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if done()? {
            return Ok(());
        }
        if start.elapsed() > deadline {
            return Err(Error::Timeout {
                what,
                path: path.into(),
                seconds: deadline.as_secs_f64(),
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Reads the process ids listed in a `cgroup.procs` file.
pub fn read_pids(path: &Path) -> Result<Vec<i32>> {
    read(path)?
        .lines()
        .map(|line| {
            line.trim().parse().map_err(|_| Error::Parse {
                path: path.into(),
                content: line.into(),
            })
        })
        .collect()
}
