//! The workbench: making and filling the holes in the lesson files. Nothing a student wrote is
//! ever thrown away: whenever a region holds something that is neither the hole nor the
//! reference, it is copied to `target/kit/saved/` first, and the kit says where.

use crate::catalogue::Exercise;
use crate::regions;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the kit works: the workspace root and its `target/kit/` directory.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root (holds `Cargo.toml`, `lessons/`, `workshop/`).
    pub root: PathBuf,
}

/// What one operation did to one file, for the student to read.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Files changed.
    pub changed: Vec<PathBuf>,
    /// Copies made of the student's own code.
    pub saved: Vec<PathBuf>,
}

impl Workspace {
    /// The kit's own directory, `target/kit/` (progress, references, saved copies).
    pub fn kit_dir(&self) -> PathBuf {
        self.root.join("target/kit")
    }

    /// The reference lines of `exercise` in `file`: the copy kept at the first `start`, else
    /// git's `HEAD`, else (no git, or a HEAD older than the markers) the file as it is now.
    pub fn reference(&self, exercise: &Exercise, file: &Path) -> anyhow::Result<String> {
        let kept = self.reference_copy(exercise, file);
        if let Ok(text) = std::fs::read_to_string(&kept) {
            return Ok(text);
        }
        let body = match self.git_reference(exercise, file) {
            Some(body) => body,
            None => {
                let (text, region) = regions::read(&self.root.join(file), &exercise.id)?;
                regions::body(&text, region)
            }
        };
        if regions::is_hole(&body, &exercise.id) {
            anyhow::bail!(
                "no reference for exercise {} in {}: restore it with `git checkout {}`",
                exercise.id,
                file.display(),
                file.display()
            );
        }
        std::fs::create_dir_all(kept.parent().unwrap_or(&self.root))?;
        std::fs::write(&kept, &body)?;
        Ok(body)
    }

    /// The region as committed in git's `HEAD`, if the workspace is a checkout that has it.
    fn git_reference(&self, exercise: &Exercise, file: &Path) -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .arg("show")
            .arg(format!("HEAD:{}", file.display()))
            .output()
            .ok()
            .filter(|out| out.status.success())?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let region = regions::find(&text, &exercise.id, file).ok()?;
        Some(regions::body(&text, region))
    }

    fn reference_copy(&self, exercise: &Exercise, file: &Path) -> PathBuf {
        let flat = file.display().to_string().replace('/', "__");
        self.kit_dir()
            .join("reference")
            .join(&exercise.id)
            .join(flat)
    }

    /// Makes the hole (`start`): the region becomes a `todo!` with the statement.
    pub fn start(&self, exercise: &Exercise) -> anyhow::Result<Outcome> {
        self.rewrite(exercise, |ws, text, region, file| {
            let indent = regions::indent(text, region);
            let _ = ws.reference(exercise, file)?;
            Ok(regions::hole(
                &indent,
                &exercise.id,
                &exercise.title,
                &exercise.statement,
            ))
        })
    }

    /// Puts the reference back (`solution`, `reset`).
    pub fn restore(&self, exercise: &Exercise) -> anyhow::Result<Outcome> {
        self.rewrite(exercise, |ws, _, _, file| ws.reference(exercise, file))
    }

    /// Replaces the region with `body` as given (the authors' check writes stubs with it).
    pub fn fill(&self, exercise: &Exercise, body: &str) -> anyhow::Result<Outcome> {
        self.rewrite(exercise, |_, text, region, _| {
            Ok(format!("{}{body}\n", regions::indent(text, region)))
        })
    }

    /// Rewrites every region of `exercise` with what `make` returns, saving the student's own
    /// code first (anything that is neither the hole nor the reference).
    fn rewrite(
        &self,
        exercise: &Exercise,
        make: impl Fn(&Workspace, &str, regions::Region, &Path) -> anyhow::Result<String>,
    ) -> anyhow::Result<Outcome> {
        let mut outcome = Outcome::default();
        // Check every file first, so a problem in the second file changes nothing in the first.
        let mut plans = Vec::new();
        for file in &exercise.files {
            let path = self.root.join(file);
            let (text, region) = regions::read(&path, &exercise.id)?;
            let new_body = make(self, &text, region, file)?;
            plans.push((file, path, text, region, new_body));
        }
        for (file, path, text, region, new_body) in plans {
            let current = regions::body(&text, region);
            if current == new_body {
                continue;
            }
            // Without git the reference cannot be told from a student's edit: keep a copy.
            let reference = self.reference(exercise, file)?;
            let verified = self.git_reference(exercise, file).is_some();
            if !regions::is_hole(&current, &exercise.id) && (current != reference || !verified) {
                outcome
                    .saved
                    .push(self.save_copy(exercise, file, &current)?);
            }
            std::fs::write(&path, regions::replace(&text, region, &new_body))
                .with_context(|| format!("write {}", path.display()))?;
            outcome.changed.push(file.clone());
        }
        Ok(outcome)
    }

    /// Copies a student's region to `target/kit/saved/ID/TIME-FILE` and returns that path.
    fn save_copy(&self, exercise: &Exercise, file: &Path, body: &str) -> anyhow::Result<PathBuf> {
        let dir = self.kit_dir().join("saved").join(&exercise.id);
        std::fs::create_dir_all(&dir)?;
        let flat = file.display().to_string().replace('/', "__");
        let path = dir.join(format!("{}-{flat}", crate::progress::now()));
        std::fs::write(&path, body).with_context(|| format!("write {}", path.display()))?;
        Ok(path)
    }

    /// Is every region of `exercise` still the hole?
    pub fn is_untouched_hole(&self, exercise: &Exercise) -> anyhow::Result<bool> {
        for file in &exercise.files {
            let (text, region) = regions::read(&self.root.join(file), &exercise.id)?;
            if !regions::is_hole(&regions::body(&text, region), &exercise.id) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
