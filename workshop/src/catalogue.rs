//! The exercise catalogue, `workshop/exercises.toml`: what each exercise asks, where its
//! lines are, what to read and the hints, in the order a student meets them.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One exercise: the lines between its marker comments in one or more lesson files.
#[derive(Debug, Clone, Deserialize)]
pub struct Exercise {
    /// `LL.N`: lesson number and position, e.g. `01.3`.
    pub id: String,
    /// A short slug, also written in the begin marker: `make-private`.
    pub title: String,
    /// The lesson folder under `lessons/`.
    pub lesson: String,
    /// Files holding a marked region (paths from the workspace root).
    pub files: Vec<PathBuf>,
    /// What to write, in one sentence; it becomes the `todo!()` message of the hole.
    pub statement: String,
    /// Man pages and documents to read first.
    pub read: Vec<String>,
    /// Hints from a nudge to a near-answer, shown one at a time.
    pub hints: Vec<String>,
    /// Code that only prints what a solution would print (for the authors' check).
    pub stub: String,
}

#[derive(Debug, Deserialize)]
struct File {
    exercise: Vec<Exercise>,
}

/// The whole catalogue, in order.
#[derive(Debug)]
pub struct Catalogue {
    /// Every exercise, in the order of the file.
    pub exercises: Vec<Exercise>,
}

impl Catalogue {
    /// Reads `ROOT/workshop/exercises.toml`.
    pub fn load(root: &Path) -> anyhow::Result<Catalogue> {
        let path = root.join("workshop/exercises.toml");
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
        let file: File =
            toml::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
        Ok(Catalogue {
            exercises: file.exercise,
        })
    }

    /// The exercise with this id, or an error listing the known ids.
    pub fn get(&self, id: &str) -> anyhow::Result<&Exercise> {
        match self.exercises.iter().find(|e| e.id == id || e.title == id) {
            Some(e) => Ok(e),
            None => {
                let ids: Vec<&str> = self.exercises.iter().map(|e| e.id.as_str()).collect();
                bail!(
                    "no exercise {id:?}: the ids are {} (see `cargo kit list`)",
                    ids.join(", ")
                )
            }
        }
    }
}
