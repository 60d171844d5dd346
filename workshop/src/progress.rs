//! A student's progress, kept in `target/kit/progress.json` (target/ is never committed, and
//! `cargo clean` is the way to forget it).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the kit knows about one exercise.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// `cargo kit start` made the hole.
    pub started: bool,
    /// The last check passed.
    pub passed: bool,
    /// `cargo kit solution` was used.
    pub solution_viewed: bool,
    /// How many hints were shown.
    pub hints_shown: usize,
    /// Seconds since the epoch of the last start, check or solution.
    pub updated: u64,
}

impl Entry {
    /// The state in words, as `list` shows it.
    pub fn state(&self) -> &'static str {
        match (self.solution_viewed, self.passed, self.started) {
            (true, _, _) => "solution viewed",
            (false, true, _) => "passed",
            (false, false, true) => "started",
            _ => "not started",
        }
    }
}

/// Every exercise's entry, by id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Entries by exercise id.
    pub exercises: BTreeMap<String, Entry>,
    #[serde(skip)]
    path: PathBuf,
}

impl Progress {
    /// Reads `dir/progress.json`; a missing or unreadable file is a fresh start (the damaged
    /// one is kept beside it, never overwritten silently).
    pub fn load(dir: &Path) -> Progress {
        let path = dir.join("progress.json");
        let loaded = std::fs::read_to_string(&path)
            .ok()
            .map(|text| serde_json::from_str::<Progress>(&text));
        let mut progress = match loaded {
            Some(Ok(p)) => p,
            Some(Err(_)) => {
                let _ = std::fs::rename(&path, dir.join("progress.json.damaged"));
                Progress::default()
            }
            None => Progress::default(),
        };
        progress.path = path;
        progress
    }

    /// The entry of `id` (a default one if never touched).
    pub fn get(&self, id: &str) -> Entry {
        self.exercises.get(id).cloned().unwrap_or_default()
    }

    /// Changes the entry of `id` and stamps it with the time.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut Entry)) {
        let entry = self.exercises.entry(id.to_string()).or_default();
        change(entry);
        entry.updated = now();
    }

    /// Writes the file atomically (a temporary file renamed over the old one).
    pub fn save(&self) -> anyhow::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let partial = self.path.with_extension("json.partial");
        std::fs::write(&partial, serde_json::to_string_pretty(self)?)?;
        std::fs::rename(&partial, &self.path)?;
        Ok(())
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
