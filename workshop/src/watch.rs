//! `watch`: re-check whenever an exercise's file is saved. The files' modification times are
//! polled (stat(2) a few times a second): simpler than inotify(7) and enough for a human
//! typing, and editors that save by renaming a new file into place are caught too.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(300);

/// The modification times of `files` now (`None` for a file that is missing right now).
pub fn stamps(files: &[PathBuf]) -> Vec<Option<SystemTime>> {
    files
        .iter()
        .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
        .collect()
}

/// Waits until one of `files` changes from `before`, or until `deadline` (None: forever).
/// Returns the new stamps, or `None` when the deadline passed first.
pub fn wait_for_change(
    files: &[PathBuf],
    before: &[Option<SystemTime>],
    deadline: Option<Instant>,
) -> Option<Vec<Option<SystemTime>>> {
    loop {
        let now = stamps(files);
        if now != before {
            return Some(now);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        std::thread::sleep(POLL);
    }
}
