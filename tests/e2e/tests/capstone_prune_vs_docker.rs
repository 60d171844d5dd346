//! `system prune -f` and `network prune -f` of `capstone` and of real Docker (a private dockerd:
//! `harness::dockerd`) after the same commands: the same sections in the same order, the same
//! networks removed, as many containers, and the network a running container is on kept.

mod capstone_support;

use capstone_support::{Engine, dockerd_with};

/// Makes the same state with `cli` (capstone's or docker's): a network no container is on, one
/// a stopped container is on, one a running container is on, and a stopped container on none.
fn set_up(cli: impl Fn(&[&str]) -> String) {
    for network in ["idle", "left", "busy"] {
        cli(&["network", "create", network]);
    }
    cli(&["create", "--network", "left", "busybox", "true"]);
    cli(&["create", "--network", "none", "busybox", "true"]);
    cli(&["run", "-d", "--network", "busy", "busybox", "sleep", "1000"]);
}

/// A prune's report with what must differ between two engines made alike: each 64-digit
/// container id is `<id>`, the space figure `<size>`, and each section's lines are sorted
/// (Docker lists the networks it removed in no set order).
fn shape(report: &str) -> Vec<Vec<String>> {
    report
        .split("\n\n")
        .map(|section| {
            let mut lines = section.lines().map(|line| {
                if line.len() == 64 && line.chars().all(|c| c.is_ascii_hexdigit()) {
                    "<id>".to_string()
                } else if line.starts_with("Total reclaimed space: ") {
                    "Total reclaimed space: <size>".to_string()
                } else {
                    line.to_string()
                }
            });
            let title = lines.next().unwrap_or_default();
            let mut rest: Vec<String> = lines.collect();
            rest.sort();
            [vec![title], rest].concat()
        })
        .filter(|section| section != &[""])
        .collect()
}

#[test]
fn system_and_network_prune_remove_and_report_what_real_docker_does() {
    let engine = Engine::with_busybox();
    let dockerd = dockerd_with(&engine, "busybox");
    set_up(|args| dockerd.ok(args));
    set_up(|args| engine.ok(args));

    let docker_says = dockerd.ok(&["system", "prune", "-f"]);
    let capstone_says = engine.ok(&["system", "prune", "-f"]);
    assert_eq!(
        shape(&capstone_says),
        shape(&docker_says),
        "{capstone_says}"
    );
    // Not vacuous: two stopped containers went, and the two networks only they were on.
    let sections = shape(&docker_says);
    assert_eq!(sections[0], ["Deleted Containers:", "<id>", "<id>"]);
    assert_eq!(sections[1], ["Deleted Networks:", "idle", "left"]);

    let networks = "{{.Name}}";
    let names = |out: String| -> Vec<String> {
        let mut names: Vec<String> = out.lines().map(String::from).collect();
        names.sort();
        names
    };
    let docker_has = names(dockerd.ok(&["network", "ls", "--format", networks]));
    let capstone_has = names(engine.ok(&["network", "ls", "--format", networks]));
    assert!(docker_has.contains(&"busy".to_string()), "{docker_has:?}");
    assert!(
        capstone_has.contains(&"busy".to_string()),
        "{capstone_has:?}"
    );
    assert!(
        !capstone_has.contains(&"idle".to_string()),
        "{capstone_has:?}"
    );

    // `network prune` alone, and again with nothing left to prune: both say nothing then.
    dockerd.ok(&["network", "create", "spare"]);
    engine.ok(&["network", "create", "spare"]);
    let docker_says = dockerd.ok(&["network", "prune", "-f"]);
    assert_eq!(docker_says, "Deleted Networks:\nspare\n\n");
    assert_eq!(engine.ok(&["network", "prune", "-f"]), docker_says);
    assert_eq!(
        engine.ok(&["network", "prune", "-f"]),
        dockerd.ok(&["network", "prune", "-f"])
    );
}
