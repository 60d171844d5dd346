//! `check`: build the lessons with the student's code (through the `kit-graders` package,
//! which links them), then run the graders and read their reports.
//!
//! A build failure shows the compiler's error messages and nothing else: cargo is asked for
//! JSON diagnostics (`--message-format=json-diagnostic-rendered-ansi`) and only the rendered
//! `error` messages are kept — no warnings about the holes still open elsewhere, no progress
//! lines.

use crate::bench::Workspace;
use anyhow::Context;
use serde::Deserialize;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One check as the grader reported it.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// What the kernel showed.
    pub saw: String,
    /// Whether it is right.
    pub ok: bool,
}

/// A grader's report on one exercise (written by `kit-grade`, see workshop/graders).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Report {
    /// The exercise id.
    pub id: String,
    /// Every check passed.
    pub passed: bool,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// What probably went wrong.
    pub advice: Option<String>,
    /// The catalogue hint matching the failure.
    pub hint: Option<usize>,
}

/// What a `check` produced.
#[derive(Debug)]
pub enum Outcome {
    /// The code does not compile: the compiler's error messages, rendered.
    DoesNotCompile(String),
    /// The graders ran: their reports, and what the student's code printed meanwhile.
    Graded {
        /// One report per exercise asked for.
        reports: Vec<Report>,
        /// Output of the grader process (the student's prints, panic messages).
        output: String,
    },
}

/// The target directory cargo builds into (`CARGO_TARGET_DIR` if set).
fn target_dir(ws: &Workspace) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| ws.root.join("target"), PathBuf::from)
}

/// Builds `kit-graders` (and so the lessons); `Err` text is the compiler's errors.
pub fn build(ws: &Workspace) -> anyhow::Result<Result<(), String>> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&ws.root)
        .args([
            "build",
            "-p",
            "kit-graders",
            "--message-format=json-diagnostic-rendered-ansi",
        ])
        .stdin(Stdio::null())
        .output()
        .context("run cargo build")?;
    if out.status.success() {
        return Ok(Ok(()));
    }
    let mut errors = String::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let diagnostic = &message["message"];
        if message["reason"] == "compiler-message" && diagnostic["level"] == "error" {
            errors.push_str(diagnostic["rendered"].as_str().unwrap_or_default());
        }
    }
    if errors.is_empty() {
        // Not a compiler error (a missing tool, a lock): cargo's own words then.
        errors = String::from_utf8_lossy(&out.stderr).into_owned();
    }
    Ok(Err(errors))
}

/// How long the graders of one check may take: they finish in seconds unless the student's
/// code hangs (an endless loop, a child never released), and then the check must still end.
const GRADING_DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

/// Waits for `child`, killing it (and so ending the check) once `deadline` has passed.
fn wait_with_deadline(
    child: &mut std::process::Child,
    deadline: std::time::Duration,
) -> anyhow::Result<String> {
    let until = std::time::Instant::now() + deadline;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status.to_string());
        }
        if std::time::Instant::now() > until {
            // kill(2) with a negative pid: the whole process group (the grader's children too).
            let group = nix::unistd::Pid::from_raw(-(child.id() as i32));
            let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
            let _ = child.wait();
            return Ok(format!(
                "killed after {}s: the code under test did not finish",
                deadline.as_secs()
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Builds, then runs the graders of `ids` in one process.
pub fn check(ws: &Workspace, ids: &[String]) -> anyhow::Result<Outcome> {
    if let Err(errors) = build(ws)? {
        return Ok(Outcome::DoesNotCompile(errors));
    }
    let dir = ws.kit_dir();
    std::fs::create_dir_all(&dir)?;
    let out_file = dir.join("last-check.jsonl");
    let _ = std::fs::remove_file(&out_file);
    let grader = target_dir(ws).join("debug/kit-grade");
    let printed = dir.join("last-check.output");
    let log = std::fs::File::create(&printed)?;
    let mut child = Command::new(&grader)
        .arg("--out")
        .arg(&out_file)
        .args(ids)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // A process group of its own, so a timeout can end it with everything it started.
        .process_group(0)
        .spawn()
        .with_context(|| format!("run {}", grader.display()))?;
    let status = wait_with_deadline(&mut child, GRADING_DEADLINE)?;
    let output = std::fs::read_to_string(&printed).unwrap_or_default();
    let text = std::fs::read_to_string(&out_file).unwrap_or_default();
    let mut reports = Vec::new();
    for line in text.lines() {
        reports.push(serde_json::from_str::<Report>(line).context("read a grader's report")?);
    }
    for id in ids {
        if !reports.iter().any(|r| &r.id == id) {
            // The grader process itself died (a crash in the student's code took it down).
            reports.push(Report {
                id: id.clone(),
                passed: false,
                checks: vec![Check {
                    what: "the grader ran".into(),
                    saw: format!("kit-grade ended ({status}) before reporting"),
                    ok: false,
                }],
                advice: None,
                hint: None,
            });
        }
    }
    Ok(Outcome::Graded { reports, output })
}
