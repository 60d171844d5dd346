//! One check's result: what was looked at, what was found, and how to fix it.

use serde::Serialize;

/// Whether the kit can do without the thing a check looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// A lesson's steps cannot run without it; missing makes `doctor` exit non-zero.
    Required,
    /// Used by one exercise, a cross-check or a comparison; missing is a warning only.
    Optional,
}

/// Whether the thing a check looks for is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Present (and, where the check could, proven to work).
    Pass,
    /// Absent, refused by the kernel, or not working.
    Missing,
}

/// The result of one check, one line of the doctor's output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// A short stable name (`cgroups`, `overlayfs`, `tool:skopeo`): the first column of the
    /// output and the key scripts use in `--json`.
    pub id: String,
    /// Required or optional (see the crate docs for which is which).
    pub requirement: Requirement,
    /// Pass or missing.
    pub status: Status,
    /// One line: what was found (`hybrid: v1 controllers + cgroup2 at /sys/fs/cgroup/unified`).
    pub summary: String,
    /// When missing: the exact command or setting that fixes it.
    pub fix: Option<String>,
    /// Why the kit needs this, in one sentence (`doctor --explain` prints it).
    pub why: &'static str,
    /// Evidence behind the summary (paths, values, what was tried), one item per line.
    pub details: Vec<String>,
}

impl Check {
    /// A check that found what it looked for.
    pub fn pass(
        id: impl Into<String>,
        requirement: Requirement,
        why: &'static str,
        summary: impl Into<String>,
    ) -> Check {
        Check {
            id: id.into(),
            requirement,
            status: Status::Pass,
            summary: summary.into(),
            fix: None,
            why,
            details: Vec::new(),
        }
    }

    /// A check that did not find what it looked for; `fix` says what to do.
    pub fn missing(
        id: impl Into<String>,
        requirement: Requirement,
        why: &'static str,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            status: Status::Missing,
            fix: Some(fix.into()),
            ..Check::pass(id, requirement, why, summary)
        }
    }

    /// Adds one line of evidence.
    pub fn detail(mut self, line: impl Into<String>) -> Check {
        self.details.push(line.into());
        self
    }

    /// The symbol of the output's first column: `✓` passed, `✗` required and missing,
    /// `!` optional and missing.
    pub fn symbol(&self) -> char {
        match (self.status, self.requirement) {
            (Status::Pass, _) => '✓',
            (Status::Missing, Requirement::Required) => '✗',
            (Status::Missing, Requirement::Optional) => '!',
        }
    }

    /// True when this check is required and missing: the machine is not ready.
    pub fn blocks(&self) -> bool {
        self.status == Status::Missing && self.requirement == Requirement::Required
    }
}
