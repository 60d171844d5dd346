//! The authors' check (like rustlings' `dev check`): for every exercise in
//! workshop/exercises.toml, its grader fails with the hole, fails with the stub that only
//! prints what a solution would print, and passes with the reference.
//!
//! It works on a copy of the workspace in a temporary directory, so whatever happens the
//! checkout is left exactly as it was (the test also compares the exercise files before and
//! after). Builds go to `target/kit-dev-check`, kept between runs.
//!
//! To stay fast it builds once per *round*, not once per exercise: round k holes the k-th
//! exercise of every lesson at once. That is sound because a grader may use any code of its
//! own lesson (in a round, the other exercises of that lesson are their reference) but no
//! exercise code of another lesson: graders after lesson 01 fork by themselves instead of
//! through lesson 01's `spawn`, and lessons 02, 03, 06 and 07 call no exercise of lesson 01.
//!
//! Run: `cargo test -p workshop --test dev_check` (as root, through the cargo runner).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use workshop::bench::Workspace;
use workshop::catalogue::{Catalogue, Exercise};

/// Runs `cargo kit --json check IDS` on the copy; returns whether each exercise passed.
fn check(copy: &Path, exercises: &[Exercise]) -> BTreeMap<String, bool> {
    let mut args = vec!["--json", "check"];
    args.extend(exercises.iter().map(|e| e.id.as_str()));
    let out = common::kit(copy, &args);
    let text = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "kit check printed no JSON ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        json.get("compile_errors").is_none(),
        "the copy does not compile:\n{}",
        json["compile_errors"].as_str().unwrap_or_default()
    );
    json.as_object()
        .unwrap()
        .iter()
        .map(|(id, report)| (id.clone(), report["passed"].as_bool().unwrap()))
        .collect()
}

fn rounds(catalogue: &Catalogue) -> Vec<Vec<Exercise>> {
    let mut by_lesson: BTreeMap<&str, Vec<&Exercise>> = BTreeMap::new();
    for e in &catalogue.exercises {
        by_lesson.entry(&e.lesson).or_default().push(e);
    }
    let longest = by_lesson.values().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .map(|k| {
            by_lesson
                .values()
                .filter_map(|list| list.get(k).map(|e| (*e).clone()))
                .collect()
        })
        .collect()
}

fn exercise_files(root: &Path, catalogue: &Catalogue) -> BTreeMap<PathBuf, String> {
    catalogue
        .exercises
        .iter()
        .flat_map(|e| e.files.iter())
        .map(|f| (f.clone(), std::fs::read_to_string(root.join(f)).unwrap()))
        .collect()
}

#[test]
fn every_exercise_fails_with_its_hole_and_its_stub_and_passes_with_its_reference() {
    let root = common::workspace_root();
    let catalogue = Catalogue::load(&root).unwrap();
    let before = exercise_files(&root, &catalogue);
    let copy = common::copy_workspace();
    let ws = Workspace {
        root: copy.path().to_path_buf(),
    };

    let reference = check(copy.path(), &catalogue.exercises);
    assert_eq!(reference.len(), catalogue.exercises.len(), "{reference:?}");
    let failing: Vec<_> = reference.iter().filter(|(_, passed)| !**passed).collect();
    assert!(
        failing.is_empty(),
        "references that fail their grader: {failing:?}"
    );

    for round in rounds(&catalogue) {
        for e in &round {
            ws.start(e).unwrap();
        }
        let holes = check(copy.path(), &round);
        for e in &round {
            ws.fill(e, &e.stub).unwrap();
        }
        let stubs = check(copy.path(), &round);
        for e in &round {
            assert_eq!(
                holes.get(&e.id),
                Some(&false),
                "{} passes with its hole: {holes:?}",
                e.id
            );
            assert_eq!(
                stubs.get(&e.id),
                Some(&false),
                "{} passes with a printing stub: {stubs:?}",
                e.id
            );
            ws.restore(e).unwrap();
        }
    }
    assert_eq!(
        exercise_files(&root, &catalogue),
        before,
        "the checkout changed"
    );
}
