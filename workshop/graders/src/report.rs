//! What a grader found: one line per check (what was checked, what the kernel showed, whether
//! that is right) and, on failure, advice that names the likely mistake. The kit reads it as
//! JSON (one object per exercise) from the file given with `--out`.

use serde::Serialize;

/// One observation a grader made in the kernel.
#[derive(Debug, Serialize)]
pub struct Check {
    /// What was checked, e.g. "the container's hostname (setns(2) into its UTS namespace)".
    pub what: String,
    /// What the kernel showed.
    pub saw: String,
    /// Whether that is what a working solution produces.
    pub ok: bool,
}

/// The result of grading one exercise.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The exercise id, e.g. "01.3".
    pub id: String,
    /// True when every check passed and the grader ran to its end.
    pub passed: bool,
    /// Every check made, in order.
    pub checks: Vec<Check>,
    /// For a failure: what probably went wrong and what to do.
    pub advice: Option<String>,
    /// The index (0-based) of the catalogue hint that matches the failure, if one does.
    pub hint: Option<usize>,
}

impl Report {
    /// An empty report for exercise `id`.
    pub fn new(id: &str) -> Report {
        Report {
            id: id.to_string(),
            ..Report::default()
        }
    }

    /// Records one check; returns `ok` so a grader can stop early on a failed precondition.
    pub fn check(&mut self, what: impl Into<String>, saw: impl Into<String>, ok: bool) -> bool {
        self.checks.push(Check {
            what: what.into(),
            saw: saw.into(),
            ok,
        });
        ok
    }

    /// Records the advice (and matching hint) for the first failure; later advice is dropped,
    /// since the first failure is usually the cause of the others.
    pub fn advise(&mut self, advice: impl Into<String>, hint: usize) {
        if self.advice.is_none() {
            self.advice = Some(advice.into());
            self.hint = Some(hint);
        }
    }

    /// Decides `passed` once the grader has finished.
    pub fn finish(mut self) -> Report {
        self.passed = !self.checks.is_empty() && self.checks.iter().all(|c| c.ok);
        self
    }
}
