//! What a set of processes costs in memory, read from proc(5).
//!
//! - **RSS** (resident set size): the pages of a process that are in RAM now, counting shared
//!   pages (libraries, a binary's code) fully in every process that maps them. Adding up RSS
//!   over many containers running the same binary over-counts.
//! - **PSS** (proportional set size): each shared page divided by the number of processes
//!   sharing it. Adding up PSS gives a fair total — this is how the page cache lets many
//!   containers share one image's files.
//!
//! Both come from `/proc/PID/smaps_rollup` (Linux 4.14+). A process tree is found through
//! `/proc/PID/task/TID/children` (CONFIG_PROC_CHILDREN, enabled in Debian's kernels).

use std::path::PathBuf;

/// Memory of one process or the sum over several, in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Footprint {
    /// Resident set size, KiB (shared pages counted in full).
    pub rss_kib: u64,
    /// Proportional set size, KiB (shared pages divided among their sharers).
    pub pss_kib: u64,
    /// How many processes were added up.
    pub processes: u32,
}

impl std::ops::Add for Footprint {
    type Output = Footprint;

    fn add(self, other: Footprint) -> Footprint {
        Footprint {
            rss_kib: self.rss_kib + other.rss_kib,
            pss_kib: self.pss_kib + other.pss_kib,
            processes: self.processes + other.processes,
        }
    }
}

impl std::iter::Sum for Footprint {
    fn sum<I: Iterator<Item = Footprint>>(iter: I) -> Footprint {
        iter.fold(Footprint::default(), |a, b| a + b)
    }
}

/// Reading a process's memory failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The proc file could not be read (the process may have exited).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file under /proc.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file had no `Rss:` or `Pss:` line.
    #[error("{path} has no Rss:/Pss: lines: is this kernel older than 4.14?")]
    Format {
        /// The file under /proc.
        path: PathBuf,
    },
}

/// Parses the `Rss:` and `Pss:` lines (values in kB) of a `smaps_rollup` file.
pub fn parse_smaps_rollup(text: &str) -> Option<Footprint> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    Some(Footprint {
        rss_kib: field("Rss")?,
        pss_kib: field("Pss")?,
        processes: 1,
    })
}

/// The footprint of one process, from `/proc/PID/smaps_rollup`.
pub fn of_process(pid: i32) -> Result<Footprint, Error> {
    let path = PathBuf::from(format!("/proc/{pid}/smaps_rollup"));
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    parse_smaps_rollup(&text).ok_or(Error::Format { path })
}

/// The direct children of `pid`: every process whose parent (field 4 of `/proc/N/stat`, see
/// proc(5)) is `pid`. The shorter route, `/proc/PID/task/*/children`, is documented (the
/// kernel's `Documentation/filesystems/proc.rst`) as reliable only while the tasks are frozen,
/// and it did miss a fresh child of a busy test process; a scan of `/proc` does not. Empty
/// when the process is gone.
pub fn children(pid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found: Vec<i32> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&n| parent_of(n) == Some(pid))
        .collect();
    found.sort_unstable();
    found
}

/// The parent pid in `/proc/N/stat`: the field after the state, which follows the command
/// name in parentheses (a name may itself hold spaces and parentheses, so cut at the last `)`).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// Every descendant of `pid` (children, their children…), not `pid` itself.
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    let mut next = vec![pid];
    while let Some(parent) = next.pop() {
        for child in children(parent) {
            found.push(child);
            next.push(child);
        }
    }
    found
}

/// The command name of `pid` (`/proc/PID/comm`), if it still exists.
pub fn command_name(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// The summed footprint of `pids`.
pub fn of_processes(pids: &[i32]) -> Result<Footprint, Error> {
    pids.iter().map(|&pid| of_process(pid)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
55d0c7a0d000-7ffd2f3fe000 ---p 00000000 00:00 0                          [rollup]
Rss:                1868 kB
Pss:                 371 kB
Pss_Anon:            120 kB
Pss_File:            251 kB
Shared_Clean:       1560 kB
Private_Dirty:       120 kB
";

    #[test]
    fn smaps_rollup_gives_rss_and_pss_not_the_pss_breakdown() {
        let f = parse_smaps_rollup(SAMPLE).unwrap();
        assert_eq!(
            f,
            Footprint {
                rss_kib: 1868,
                pss_kib: 371,
                processes: 1
            }
        );
    }

    #[test]
    fn smaps_rollup_without_pss_is_rejected() {
        assert_eq!(parse_smaps_rollup("Rss: 10 kB\n"), None);
    }

    #[test]
    fn footprints_add_up() {
        let one = parse_smaps_rollup(SAMPLE).unwrap();
        let total: Footprint = [one, one, one].into_iter().sum();
        assert_eq!(
            (total.rss_kib, total.pss_kib, total.processes),
            (5604, 1113, 3)
        );
    }

    #[test]
    fn a_spawned_child_is_found_with_its_memory() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let tree = descendants(std::process::id() as i32);
        let own = of_process(std::process::id() as i32).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert!(tree.contains(&pid), "{pid} not in {tree:?}");
        assert!(own.rss_kib > 0 && own.pss_kib <= own.rss_kib, "{own:?}");
    }

    #[test]
    fn a_missing_process_is_a_read_error_naming_the_file() {
        let err = of_process(i32::MAX).unwrap_err();
        assert!(err.to_string().contains("smaps_rollup"), "{err}");
    }
}
