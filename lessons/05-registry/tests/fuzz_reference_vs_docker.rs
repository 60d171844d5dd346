//! Where the `reference` fuzz target's round trip broke (the length limit), ask the real
//! `docker` CLI which references it accepts: it parses a reference before it connects to a
//! daemon, so pointing it at a socket that does not exist tells us its verdict offline.

use registry::Reference;
use std::process::Command;

/// True if `docker pull` got past parsing `reference` (it then fails to connect).
fn docker_accepts(reference: &str) -> Option<bool> {
    let out = Command::new("docker")
        .args(["pull", reference])
        .env("DOCKER_HOST", "unix:///nonexistent/capstone-fuzz.sock")
        .output()
        .ok()?;
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    Some(!text.contains("must not be more than") && !text.contains("invalid reference format"))
}

#[test]
fn long_references_are_judged_as_the_docker_cli_judges_them() {
    let a = |n: usize| "a".repeat(n);
    let cases = [
        a(247),
        a(248),
        a(255),
        format!("docker.io/library/{}", a(240)),
        format!("{}.io/{}", a(200), a(250)),
        format!("{}.io/{}", a(10), a(256)),
    ];
    for reference in cases {
        let Some(docker) = docker_accepts(&reference) else {
            eprintln!("docker CLI not found: skipping");
            return;
        };
        let ours = Reference::parse(&reference).is_ok();
        assert_eq!(
            ours,
            docker,
            "{} chars: ours {ours}, docker {docker}",
            reference.len()
        );
    }
}
