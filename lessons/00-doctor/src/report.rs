//! All checks together: the verdict, the human table and the `--json` document.

use crate::check::{Check, Requirement, Status};
use serde_json::{Value, json};
use std::fmt::Write;

/// The results of a doctor run.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every check, in the order they ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// A report over these checks (usually [`crate::run_all`]'s).
    pub fn new(checks: Vec<Check>) -> Report {
        Report { checks }
    }

    /// The required checks that are missing: these make the machine not ready.
    pub fn missing_required(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.blocks())
    }

    /// The optional checks that are missing: warnings only.
    pub fn missing_optional(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Missing && c.requirement == Requirement::Optional)
    }

    /// True when nothing required is missing; `doctor` then exits 0.
    pub fn ready(&self) -> bool {
        self.missing_required().next().is_none()
    }

    /// The exit status `doctor` uses: 0 when ready, 1 when something required is missing.
    pub fn exit_code(&self) -> u8 {
        if self.ready() { 0 } else { 1 }
    }

    /// The verdict line that ends the human output.
    pub fn verdict(&self) -> String {
        let passed = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Pass)
            .count();
        let (required, optional) = (
            self.missing_required().count(),
            self.missing_optional().count(),
        );
        let state = if self.ready() {
            "ready: everything required is here"
        } else {
            "NOT ready: fix the ✗ lines above"
        };
        format!(
            "{} checks: {passed} passed, {required} required missing, {optional} optional missing — {state}",
            self.checks.len()
        )
    }

    /// One line per check (`✓ id  summary`), a `fix:` line under each missing one, with
    /// `explain` also the reason and the evidence; then the verdict.
    pub fn to_human(&self, explain: bool) -> String {
        let width = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        let mut out = String::new();
        for c in &self.checks {
            let _ = writeln!(out, "{} {:width$}  {}", c.symbol(), c.id, c.summary);
            let indent = " ".repeat(width + 4);
            if let Some(fix) = &c.fix {
                let _ = writeln!(out, "{indent}fix: {fix}");
            }
            if explain {
                let _ = writeln!(out, "{indent}why: {}", c.why);
                for d in &c.details {
                    let _ = writeln!(out, "{indent}- {d}");
                }
            }
        }
        let _ = writeln!(out, "\n{}", self.verdict());
        let _ = writeln!(out, "✓ present   ✗ required, missing   ! optional, missing");
        out
    }

    /// The report as JSON: `{"ready", "required_missing", "optional_missing", "checks": [{"id",
    /// "symbol", "requirement", "status", "summary", "fix", "why", "details"}]}`.
    pub fn to_json(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
                v["symbol"] = Value::String(c.symbol().to_string());
                v
            })
            .collect();
        json!({
            "ready": self.ready(),
            "required_missing": self.missing_required().count(),
            "optional_missing": self.missing_optional().count(),
            "checks": checks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(required_ok: bool, optional_ok: bool) -> Report {
        let make = |req, ok| {
            if ok {
                Check::pass("a", req, "why", "fine")
            } else {
                Check::missing("b", req, "why", "gone", "install it")
            }
        };
        Report::new(vec![
            make(Requirement::Required, required_ok),
            make(Requirement::Optional, optional_ok),
        ])
    }

    #[test]
    fn only_a_missing_required_check_makes_the_exit_status_one() {
        assert_eq!(checks(true, true).exit_code(), 0);
        assert_eq!(checks(true, false).exit_code(), 0);
        assert_eq!(checks(false, true).exit_code(), 1);
        assert!(!checks(false, false).ready());
    }

    #[test]
    fn human_output_puts_the_fix_under_the_missing_line() {
        let text = checks(true, false).to_human(false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "✓ a  fine");
        assert_eq!(lines[1], "! b  gone");
        assert_eq!(lines[2].trim(), "fix: install it");
        assert!(text.contains("1 optional missing"), "{text}");
    }
}
