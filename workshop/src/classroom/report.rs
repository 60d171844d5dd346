//! The student's side: `cargo kit check --report URL` POSTs the results (HTTP through
//! `ureq`) together with `cargo doctor --json`. The room being unreachable is a warning for
//! the student, never a failed check.

use super::room::Incoming;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// `user@hostname`: `$USER` (or `$SUDO_USER`, as the cargo runner may use sudo) and
/// gethostname(2).
pub fn default_student() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "student".to_string());
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".to_string());
    format!("{user}@{host}")
}

/// What `cargo doctor --json` prints for the workspace at `root`, or null if it cannot run.
pub fn doctor_json(root: &Path) -> Value {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .arg("run")
        .arg("-q")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["-p", "doctor", "--", "--json"])
        .stderr(std::process::Stdio::null())
        .output();
    out.ok()
        .and_then(|o| serde_json::from_slice(&o.stdout).ok())
        .unwrap_or(Value::Null)
}

/// Sends `results` (what `check --json` printed) and this machine's doctor verdict to the
/// room at `base` as `student`; `Err` is for a warning.
pub fn send(base: &str, student: &str, results: Value, root: &Path) -> Result<(), String> {
    let report = Incoming {
        student: student.to_string(),
        results,
        doctor: doctor_json(root),
    };
    post(base, &report)
}

/// POSTs one report to `base` (`http://HOST:PORT`) at `/api/report`; `Err` is for a warning.
pub fn post(base: &str, report: &Incoming) -> Result<(), String> {
    let url = format!("{}/api/report", base.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let body = serde_json::to_string(report).map_err(|e| e.to_string())?;
    agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(body)
        .map(|_| ())
        .map_err(|e| format!("{url}: {e}"))
}
