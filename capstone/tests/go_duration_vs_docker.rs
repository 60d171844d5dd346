//! The kit's one Go-duration parser ([`capstone::model::clock::parse_go_duration`], used by
//! compose files, `HEALTHCHECK` flags and `logs --since`) against the real `docker` CLI, which
//! parses `--health-interval` with Go's `time.ParseDuration` before it connects to a daemon:
//! pointed at a socket that does not exist, it tells us its verdict offline.

use capstone::model::clock::parse_go_duration;
use std::process::Command;

/// True if `docker create --health-interval=<text>` got past its flags (it then fails to
/// connect). The `docker` CLI is part of the kit's setup (`scripts/setup-host.sh`); without it
/// this test has nothing to compare with, so it fails rather than pass unchecked.
fn docker_accepts(text: &str) -> bool {
    let out = Command::new("docker")
        .args(["create", &format!("--health-interval={text}"), "busybox"])
        .env("DOCKER_HOST", "unix:///nonexistent/capstone-duration.sock")
        .output()
        .expect("run the docker CLI (scripts/setup-host.sh installs it)");
    String::from_utf8_lossy(&out.stderr).contains("Cannot connect to the Docker daemon")
}

#[test]
fn durations_are_judged_as_the_docker_cli_judges_them() {
    let cases = [
        "1m30s",
        "0",
        ".5s",
        "1.s",
        "7ns",
        "250µs",
        "2562047h",
        // Refused: no unit, an unknown unit, a stray dot, negative (Docker refuses a negative
        // interval after parsing), and the first whole hour past an int64 of nanoseconds.
        "5",
        "1m30",
        "1d",
        "..s",
        "-1s",
        "2562048h",
        // What the compose fuzzer found: 37 digits of seconds.
        "0444444444444444444444444444444444444s",
    ];
    for text in cases {
        let docker = docker_accepts(text);
        let ours = parse_go_duration(text).is_some();
        assert_eq!(ours, docker, "{text:?}: ours {ours}, docker {docker}");
    }
}
