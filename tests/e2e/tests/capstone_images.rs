//! Image verbs end to end: import, images, tag, rmi (untag vs delete, refused while used),
//! save and load between two engines, and diff/commit of a container's changes.

mod capstone_support;

use capstone_support::Engine;

#[test]
fn imported_image_is_listed_and_runs() {
    let engine = Engine::with_busybox();
    let images = engine.ok(&["images"]);
    let lines: Vec<&str> = images.lines().collect();
    assert!(
        lines[0].starts_with("REPOSITORY   TAG       IMAGE ID       CREATED"),
        "{images}"
    );
    assert!(lines[1].starts_with("busybox      latest    "), "{images}");
    assert_eq!(engine.ok(&["run", "--rm", "busybox", "echo", "ok"]), "ok\n");
}

#[test]
fn tag_adds_a_name_and_rmi_untags_before_it_deletes() {
    let engine = Engine::with_busybox();
    engine.ok(&["tag", "busybox", "lab/tools:1"]);
    assert!(engine.ok(&["images"]).contains("lab/tools"));
    assert_eq!(
        engine.ok(&["rmi", "lab/tools:1"]),
        "Untagged: lab/tools:1\n"
    );
    let out = engine.ok(&["rmi", "busybox"]);
    assert!(
        out.starts_with("Untagged: busybox:latest\nDeleted: sha256:"),
        "{out}"
    );
    assert_eq!(engine.ok(&["images", "-q"]), "");
}

#[test]
fn rmi_of_an_image_a_container_uses_is_refused_without_force() {
    let engine = Engine::with_busybox();
    let id = engine.ok(&["create", "busybox", "true"]);
    let run = engine.run(&["rmi", "busybox"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(&format!("used by container {}", &id[..12])),
        "{run:?}"
    );
    engine.ok(&["rmi", "-f", "busybox"]);
}

#[test]
fn saved_images_load_into_another_engine() {
    let first = Engine::with_busybox();
    let archive = first.root.path().join("busybox.tar");
    first.ok(&["save", "-o", archive.to_str().unwrap(), "busybox"]);
    let second = Engine::new();
    assert_eq!(
        second.ok(&["load", "-i", archive.to_str().unwrap()]),
        "Loaded image: busybox:latest\n"
    );
    assert_eq!(
        second.ok(&["run", "--rm", "busybox", "echo", "moved"]),
        "moved\n"
    );
    assert_eq!(
        first.inspect("busybox")["Id"],
        second.inspect("busybox")["Id"],
        "the image id (config digest) survives the trip"
    );
}

#[test]
fn diff_lists_changes_and_commit_makes_them_an_image() {
    let engine = Engine::with_busybox();
    engine.ok(&[
        "run",
        "--name",
        "changer",
        "busybox",
        "sh",
        "-c",
        "echo new > /added; rm /etc/group; echo x >> /etc/passwd",
    ]);
    let diff = engine.ok(&["diff", "changer"]);
    for line in ["A /added", "D /etc/group", "C /etc/passwd"] {
        assert!(
            diff.lines().any(|l| l == line),
            "{line} missing from:\n{diff}"
        );
    }
    engine.ok(&[
        "commit",
        "-a",
        "lab",
        "-m",
        "added /added",
        "changer",
        "changed:v1",
    ]);
    let author = engine.ok(&["inspect", "-f", "{{.Author}}", "changed:v1"]);
    assert_eq!(author.trim(), "lab");
    let history = engine.ok(&["history", "changed:v1"]);
    let newest = history.lines().nth(1).unwrap_or_default();
    assert!(newest.trim_end().ends_with("added /added"), "{history}");
    let out = engine.ok(&[
        "run",
        "--rm",
        "changed:v1",
        "sh",
        "-c",
        "cat /added; ls /etc/group 2>&1 || true",
    ]);
    assert!(out.starts_with("new\n"), "{out}");
    assert!(
        out.contains("No such file"),
        "the deletion is carried by a whiteout: {out}"
    );
}

#[test]
fn unknown_image_errors_name_the_image() {
    let engine = Engine::new();
    let run = engine.run(&["rmi", "ghost"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stderr.trim_end());
}
