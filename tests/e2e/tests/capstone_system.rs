//! `info`, `version`, `doctor`, and commands racing on one store.

mod capstone_support;

use capstone_support::Engine;

#[test]
fn info_counts_containers_and_images_and_names_the_cgroup_layout() {
    let engine = Engine::with_busybox();
    engine.ok(&["create", "busybox", "true"]);
    let info = engine.ok(&["info"]);
    assert!(info.contains("Containers: 1\n"), "{info}");
    assert!(info.contains(" Stopped: 1\n"), "{info}");
    assert!(info.contains("Images: 1\n"), "{info}");
    assert!(info.contains("Cgroup Layout: "), "{info}");
    assert!(
        info.contains(&format!("Root Dir: {}", engine.root.path().display())),
        "{info}"
    );
}

#[test]
fn version_names_the_engine() {
    let engine = Engine::new();
    assert!(engine.ok(&["version"]).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn doctor_reports_this_machine_ready() {
    let engine = Engine::new();
    let run = engine.run(&["doctor"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.is_empty());
}

#[test]
fn two_creates_racing_for_one_name_give_it_to_exactly_one() {
    let engine = Engine::with_busybox();
    // Both start before either finishes; the names lock makes check-and-claim one step.
    let children: Vec<_> = (0..4)
        .map(|_| {
            engine
                .command(&["create", "--name", "contested", "busybox", "true"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let winners = children
        .into_iter()
        .map(|mut c| c.wait().unwrap())
        .filter(|s| s.success())
        .count();
    assert_eq!(winners, 1);
    assert_eq!(engine.ok(&["ps", "-aq"]).lines().count(), 1);
}

#[test]
fn a_directory_without_a_record_is_not_a_container() {
    // What a `create` killed half-way leaves: it must not break or appear in later commands.
    let engine = Engine::with_busybox();
    std::fs::create_dir_all(engine.root.path().join("containers/deadbeef/upper")).unwrap();
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    engine.ok(&["run", "--rm", "busybox", "true"]);
}

#[test]
fn system_prune_removes_stopped_containers_and_leftovers_but_not_running_ones() {
    let engine = Engine::with_busybox();
    let stopped = engine.ok(&["create", "busybox", "true"]).trim().to_string();
    let running = engine.detached(&["busybox", "sleep", "1000"]);
    let orphan = engine.root.path().join("containers/deadbeef");
    std::fs::create_dir_all(orphan.join("upper")).unwrap();
    assert_eq!(
        engine.run(&["system", "prune"]).code,
        1,
        "refused without -f"
    );
    let out = engine.ok(&["system", "prune", "-f"]);
    assert!(out.contains(&stopped) && out.contains("deadbeef"), "{out}");
    assert!(out.contains("Total reclaimed space: "), "{out}");
    assert!(!orphan.exists());
    assert!(
        !engine
            .root
            .path()
            .join("containers")
            .join(&stopped)
            .exists()
    );
    assert_eq!(engine.ok(&["ps", "-aq"]).trim(), &running[..12]);
    let df = engine.ok(&["system", "df"]);
    assert!(df.starts_with("TYPE"), "{df}");
    assert!(
        df.lines()
            .any(|l| l.starts_with("Containers") && l.contains(" 1 ")),
        "{df}"
    );
}
