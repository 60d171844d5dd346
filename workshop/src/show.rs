//! How the kit shows things to a student on the terminal.

use crate::bench::Outcome as Changes;
use crate::catalogue::Exercise;
use crate::grading::Report;

/// Prints a grader's report: every check with what the kernel showed, then the advice and
/// the matching hint.
pub fn print_report(report: &Report, exercise: Option<&Exercise>) {
    let title = exercise.map_or("", |e| e.title.as_str());
    println!(
        "{} {title}: {}",
        report.id,
        if report.passed { "passed" } else { "FAILED" }
    );
    for c in &report.checks {
        println!(
            "  {} {}\n      the kernel showed: {}",
            if c.ok { "ok " } else { "NO " },
            c.what,
            c.saw
        );
    }
    if let Some(advice) = &report.advice {
        println!("  advice: {advice}");
    }
    let hint = exercise.zip(report.hint).and_then(|(e, i)| e.hints.get(i));
    if let Some(hint) = hint {
        println!("  hint: {hint}");
    }
}

/// Prints what an exercise asks, where, and what to read.
pub fn describe(e: &Exercise) {
    println!("exercise {} {} (lesson {})", e.id, e.title, e.lesson);
    println!("  write: {}", e.statement);
    println!(
        "  where: {}",
        e.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("  read:  {}", e.read.join("; "));
}

/// Prints which files an operation changed and where a student's own code was kept.
pub fn report_changes(changes: &Changes, what: &str) {
    for file in &changes.changed {
        println!("{what} {}", file.display());
    }
    for copy in &changes.saved {
        println!("your own code from there is kept in {}", copy.display());
    }
}
