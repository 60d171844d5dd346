//! The first step run as a student runs it: its own cluster, its own swarm, its output.
//!
//! Run: `cargo build -p capstone --bin capstone-runtime && cargo test -p orchestration --test steps`

use std::process::Command;

#[test]
fn step_01_forms_a_swarm_of_three_ready_nodes_with_capstone_as_runtime() {
    let out = Command::new(env!("CARGO_BIN_EXE_01-form-swarm"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for n in 1..=3 {
        // What the server's own namespaces say (hostname, eth0), and its dockerd's runtime.
        let inside = format!(
            "inside: server{n} 2: eth0 inet 10.9.0.{n}/24; dockerd: server{n} runtime=capstone"
        );
        assert!(stdout.contains(&inside), "{inside:?} not in:\n{stdout}");
    }
    let ready: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  server") && l.contains(" Ready "))
        .collect();
    assert_eq!(ready.len(), 3, "{stdout}");
    assert!(
        ready
            .iter()
            .any(|l| l.contains("server1") && l.ends_with("Leader")),
        "{stdout}"
    );
}
