//! `inspect` prints its keys in Docker's order (not alphabetically), so its output reads like
//! `docker inspect`'s and the two can be compared side by side.

mod capstone_support;

use capstone_support::Engine;

/// The keys of the first object's top level, in the order printed (two-space indent in an
/// array: `    "Key": …`).
fn top_level_keys(json: &str) -> Vec<String> {
    json.lines()
        .filter_map(|l| l.strip_prefix("    \""))
        .filter_map(|l| l.split_once('"').map(|(k, _)| k.to_string()))
        .collect()
}

#[test]
fn container_inspect_lists_keys_in_dockers_order() {
    let engine = Engine::with_busybox();
    let id = engine.ok(&["create", "busybox", "true"]);
    let out = engine.ok(&["inspect", id.trim()]);
    let keys = top_level_keys(&out);
    let docker = [
        "Id",
        "Created",
        "Path",
        "Args",
        "State",
        "Image",
        "LogPath",
        "Name",
        "Driver",
        "HostConfig",
        "GraphDriver",
        "Mounts",
        "Config",
        "NetworkSettings",
    ];
    let ours: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| docker.contains(k))
        .collect();
    assert_eq!(ours, docker, "{out}");
    let state = out.find("\"Status\"").unwrap();
    assert!(state < out.find("\"Running\"").unwrap());
    assert!(out.find("\"Running\"").unwrap() < out.find("\"Pid\"").unwrap());
}

#[test]
fn image_inspect_starts_with_id_and_repo_tags() {
    let engine = Engine::with_busybox();
    let keys = top_level_keys(&engine.ok(&["inspect", "busybox"]));
    assert_eq!(&keys[..3], ["Id", "RepoTags", "RepoDigests"], "{keys:?}");
}
