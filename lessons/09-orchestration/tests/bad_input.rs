//! Bad input: a step run before the runtime is built says what to do, and builds nothing.
//!
//! Run: `cargo test -p orchestration --test bad_input`

use std::process::Command;

#[test]
fn a_missing_runtime_is_refused_with_the_command_that_builds_it() {
    let before = lab_dirs();
    let out = Command::new(env!("CARGO_BIN_EXE_01-form-swarm"))
        .env("CAPSTONE_RUNTIME_BIN", "/nonexistent/capstone-runtime")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("capstone-runtime not found at /nonexistent/capstone-runtime"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cargo build -p capstone --bin capstone-runtime"),
        "{stderr}"
    );
    // It failed before making anything: no server directory appeared.
    assert_eq!(lab_dirs(), before);
}

/// The cluster's directories under the temporary directory (`lab09-…`).
fn lab_dirs() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("lab09-"))
        .collect();
    names.sort();
    names
}
