//! The same `docker` commands against real Docker (a private dockerd: `harness::dockerd`) and
//! against `capstone daemon`, where the reply's shape is the question: what `docker diff`
//! lists after the same changes, and which fields `docker stats` fills.

mod capstone_support;
mod daemon_support;

use capstone_support::{Engine, dockerd_with, eventually};
use daemon_support::Daemon;
use std::collections::BTreeSet;

/// What the test container does to its image's files before it says it is ready.
const CHANGES: &str = "echo new > /added; echo more >> /etc/passwd; rm /etc/group; \
                       mkdir -p /tmp/made; touch /ready; sleep 1000";

/// Runs the changing container with `docker` (`run` gives the client), waits until `diff`
/// lists `/ready`, and returns `diff`'s lines as a set.
fn changes(docker: impl Fn(&[&str]) -> String) -> BTreeSet<String> {
    let id = docker(&["run", "-d", "busybox", "sh", "-c", CHANGES]);
    let id = id.trim().to_string();
    let diff = eventually("the container's changes", || {
        let diff = docker(&["diff", &id]);
        diff.lines().any(|l| l == "A /ready").then_some(diff)
    });
    let _ = docker(&["rm", "-f", &id]);
    diff.lines().map(String::from).collect()
}

#[test]
fn docker_diff_lists_what_real_dockers_lists_and_stats_fills_the_same_fields() {
    let engine = Engine::with_busybox();
    let dockerd = dockerd_with(&engine, "busybox");
    let daemon = Daemon::start(&engine);
    let docker_says = changes(|args| dockerd.ok(args));
    let capstone_says = changes(|args| daemon.ok(args));
    assert_eq!(capstone_says, docker_says);

    let fields = |out: String| -> BTreeSet<String> {
        let doc: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let object = doc.as_object().unwrap();
        object
            .iter()
            .filter(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty() && s != "--"))
            .map(|(k, _)| k.clone())
            .collect()
    };
    let stats = ["stats", "--no-stream", "--format", "{{json .}}"];
    let theirs = dockerd.ok(&["run", "-d", "busybox", "sleep", "1000"]);
    let docker_fields = fields(dockerd.ok(&[&stats[..], &[theirs.trim()]].concat()));
    let ours = daemon.ok(&["run", "-d", "busybox", "sleep", "1000"]);
    let capstone_fields = fields(daemon.ok(&[&stats[..], &[ours.trim()]].concat()));
    assert_eq!(capstone_fields, docker_fields);
    let _ = dockerd.ok(&["rm", "-f", theirs.trim()]);
}
