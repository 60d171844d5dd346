//! What the room knows about its students, built only from the reports they POST.
//!
//! A report is the JSON `cargo kit check --json` printed (results keyed by exercise id, or
//! `{"compile_errors": …}`) with the student's name and `cargo doctor --json`. Everything in
//! it is untrusted: names and ids are bounded, unknown shapes are refused with a reason.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The most students one room keeps (a flood of made-up names cannot eat the memory).
pub const MAX_STUDENTS: usize = 500;
/// The longest student name or exercise id accepted, in characters.
pub const MAX_NAME: usize = 64;
/// The most exercises one report may carry.
pub const MAX_EXERCISES: usize = 200;

/// One POSTed report, as `cargo kit check --report` sends it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Incoming {
    /// Who checked (`user@hostname` by default).
    pub student: String,
    /// What `cargo kit check --json` printed.
    pub results: Value,
    /// What `cargo doctor --json` printed (null if it could not run).
    #[serde(default)]
    pub doctor: Value,
}

/// The doctor's verdict on a student's machine.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Doctor {
    /// Every required check passed.
    pub ready: bool,
    /// How many required checks failed.
    pub required_missing: u64,
}

/// One student's row of the grid.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Student {
    /// The name they report under.
    pub name: String,
    /// Seconds since the epoch of their last report.
    pub last_seen: u64,
    /// State per exercise id: `passed` or `failed` (absent: never checked).
    pub cells: BTreeMap<String, String>,
    /// Their last check did not compile.
    pub compile_error: bool,
    /// The first exercise they have checked and not passed: where they are stuck.
    pub current: Option<String>,
    /// Since when (seconds since the epoch) `current` has been their current exercise.
    pub stuck_since: Option<u64>,
    /// The doctor's verdict, if their report carried one.
    pub doctor: Option<Doctor>,
}

/// Everything the dashboard shows.
#[derive(Debug, Default, Serialize)]
pub struct Room {
    /// The catalogue's exercise ids, in order (columns; ids only students sent come after).
    pub exercises: Vec<String>,
    /// Students by name.
    pub students: BTreeMap<String, Student>,
}

fn valid_name(what: &str, s: &str) -> Result<(), String> {
    if s.is_empty() || s.chars().count() > MAX_NAME || s.chars().any(char::is_control) {
        return Err(format!(
            "{what} must be 1 to {MAX_NAME} printable characters"
        ));
    }
    Ok(())
}

impl Room {
    /// A room whose columns are the catalogue's exercises.
    pub fn new(exercises: Vec<String>) -> Room {
        Room {
            exercises,
            students: BTreeMap::new(),
        }
    }

    /// Applies a report received at `now` (seconds since the epoch); `Err` says why it was
    /// refused, and a refused report changes nothing.
    pub fn apply(&mut self, report: Incoming, now: u64) -> Result<(), String> {
        valid_name("student", &report.student)?;
        if !self.students.contains_key(&report.student) && self.students.len() >= MAX_STUDENTS {
            return Err(format!("the room is full ({MAX_STUDENTS} students)"));
        }
        let results = report
            .results
            .as_object()
            .ok_or("results must be the JSON object `cargo kit check --json` prints")?;
        let compile_error = results.contains_key("compile_errors");
        let mut cells = BTreeMap::new();
        if !compile_error {
            if results.len() > MAX_EXERCISES {
                return Err(format!("at most {MAX_EXERCISES} exercises per report"));
            }
            for (id, result) in results {
                valid_name("exercise id", id)?;
                let passed = result
                    .get("passed")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| format!("results.{id}.passed must be true or false"))?;
                cells.insert(id.clone(), if passed { "passed" } else { "failed" });
            }
        }
        let doctor = report
            .doctor
            .get("ready")
            .and_then(Value::as_bool)
            .map(|ready| Doctor {
                ready,
                required_missing: report.doctor["required_missing"].as_u64().unwrap_or(0),
            });
        let student = self
            .students
            .entry(report.student.clone())
            .or_insert_with(|| Student {
                name: report.student.clone(),
                ..Student::default()
            });
        for (id, state) in cells {
            student.cells.insert(id, state.to_string());
        }
        student.last_seen = now;
        student.compile_error = compile_error;
        if doctor.is_some() {
            student.doctor = doctor;
        }
        let order = |id: &String| {
            self.exercises
                .iter()
                .position(|e| e == id)
                .unwrap_or(usize::MAX)
        };
        let current = student
            .cells
            .iter()
            .filter(|(_, state)| *state == "failed")
            .map(|(id, _)| id)
            .min_by_key(|id| (order(id), (*id).clone()))
            .cloned();
        if current != student.current {
            student.stuck_since = current.as_ref().map(|_| now);
            student.current = current;
        }
        Ok(())
    }

    /// The room as the dashboard's JSON: the columns (catalogue first, then any other id a
    /// student reported), the rows, and the server's clock so the page can say "5 min ago".
    pub fn to_json(&self, now: u64) -> Value {
        let mut columns = self.exercises.clone();
        for student in self.students.values() {
            for id in student.cells.keys() {
                if !columns.contains(id) {
                    columns.push(id.clone());
                }
            }
        }
        serde_json::json!({
            "now": now,
            "exercises": columns,
            "students": self.students.values().collect::<Vec<_>>(),
        })
    }
}
