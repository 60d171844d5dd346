//! `kit-run`, the container the containers-vs-VMs comparison times, must really be a
//! container (its own namespaces, inside its cgroup, on an overlay root) and must leave nothing
//! behind — otherwise its figures would be flattering and the benchmarks would leak cgroups.

use std::path::Path;
use std::process::Command;

/// Directories named `name` anywhere under `dir` (the cgroup trees), up to a few levels down.
fn find_dirs(dir: &Path, name: &str, depth: u32, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() || path.is_symlink() {
            continue;
        }
        if entry.file_name() == name {
            found.push(path.display().to_string());
        }
        if depth > 0 {
            find_dirs(&path, name, depth - 1, found);
        }
    }
}

#[test]
fn kit_run_runs_the_command_in_its_cgroup_on_an_overlay_and_cleans_up() {
    let script =
        "cat /proc/self/cgroup; grep ' / / ' /proc/self/mountinfo; hostname; echo pid=$$; exit 7";
    let child = Command::new(env!("CARGO_BIN_EXE_kit-run"))
        .args(["sh", "-c", script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start kit-run");
    let pid = child.id();
    let out = child.wait_with_output().expect("wait for kit-run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(7),
        "the command's exit code comes back: {text}"
    );
    let cgroup = format!("kit-run-{pid}");
    assert!(
        text.lines()
            // v1: the pids hierarchy's line; v2: the one line `0::/path`.
            .any(|l| (l.contains(":pids:") || l.starts_with("0::")) && l.contains(&cgroup)),
        "the container ran in cgroup {cgroup}: {text}"
    );
    assert!(
        text.contains(" - overlay "),
        "its root is an overlay: {text}"
    );
    assert!(
        text.contains("container\npid=1\n"),
        "own hostname and pid 1: {text}"
    );
    let mut left = Vec::new();
    find_dirs(Path::new("/sys/fs/cgroup"), &cgroup, 6, &mut left);
    assert!(left.is_empty(), "cgroup directories left behind: {left:?}");
}

#[test]
fn kit_run_without_a_command_says_how_to_use_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_kit-run"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("usage: kit-run COMMAND"), "{err}");
}
