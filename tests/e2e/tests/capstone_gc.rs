//! Garbage collection end to end: `rmi` of an image's last tag deletes the blobs and unpacked
//! layers that nothing else uses (and keeps what another image or a container still needs),
//! `system prune` sweeps untagged images, and `system df` agrees with what is on disk.

mod capstone_support;

use capstone_support::Engine;
use std::path::{Path, PathBuf};

/// Names of the entries of a store directory (`blobs/sha256` or `layers`).
fn entries(engine: &Engine, dir: &str) -> Vec<String> {
    let path = engine.root.path().join("images").join(dir);
    let mut names: Vec<String> = std::fs::read_dir(&path)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn blobs(engine: &Engine) -> Vec<String> {
    entries(engine, "blobs/sha256")
}

fn layers(engine: &Engine) -> Vec<String> {
    entries(engine, "layers")
}

fn blob(engine: &Engine, digest: &str) -> PathBuf {
    engine
        .root
        .path()
        .join("images/blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// The `Images` row of `system df`: (TOTAL, SIZE).
fn df_images(engine: &Engine) -> (String, String) {
    let df = engine.ok(&["system", "df"]);
    let row = df.lines().find(|l| l.starts_with("Images")).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    (cols[1].to_string(), cols[3].to_string())
}

fn exists(path: &Path) -> bool {
    path.exists()
}

#[test]
fn rmi_of_the_last_tag_frees_what_only_that_image_used() {
    let engine = Engine::with_busybox();
    // A second image on top of busybox: it shares busybox's layer and adds one.
    engine.ok(&[
        "run",
        "--name",
        "maker",
        "busybox",
        "sh",
        "-c",
        "echo x > /new",
    ]);
    engine.ok(&["commit", "maker", "lab/child:1"]);
    engine.ok(&["rm", "maker"]);
    engine.ok(&["run", "--rm", "lab/child:1", "true"]); // unpack its layers
    let child = engine.inspect("lab/child:1");
    let base = engine.inspect("busybox");
    assert_eq!(layers(&engine).len(), 2, "busybox's layer and the child's");
    let before = blobs(&engine);

    let out = engine.ok(&["rmi", "lab/child:1"]);
    assert!(
        out.starts_with("Untagged: lab/child:1\nDeleted: sha256:"),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("Deleted:")).count(),
        2,
        "{out}"
    );
    assert!(
        !exists(&blob(&engine, child["Id"].as_str().unwrap())),
        "config gone"
    );
    assert_eq!(
        blobs(&engine).len(),
        before.len() - 3,
        "manifest, config, top layer"
    );
    assert_eq!(layers(&engine).len(), 1, "the shared base layer stays");
    assert!(exists(&blob(&engine, base["Id"].as_str().unwrap())));
    engine.ok(&["run", "--rm", "busybox", "true"]);

    engine.ok(&["rmi", "busybox"]);
    assert_eq!(blobs(&engine), Vec::<String>::new());
    assert_eq!(layers(&engine), Vec::<String>::new());
    assert_eq!(df_images(&engine), ("0".into(), "0B".into()));
}

#[test]
fn untagging_one_of_two_names_deletes_nothing() {
    let engine = Engine::with_busybox();
    engine.ok(&["tag", "busybox", "lab/also:1"]);
    let before = blobs(&engine);
    assert_eq!(engine.ok(&["rmi", "lab/also:1"]), "Untagged: lab/also:1\n");
    assert_eq!(blobs(&engine), before);
    let by_id = engine.inspect("busybox")["Id"].as_str().unwrap()[7..19].to_string();
    engine.ok(&["tag", "busybox", "lab/also:1"]);
    let run = engine.run(&["rmi", &by_id]);
    assert_eq!(run.code, 1, "an id with two names needs -f: {run:?}");
    assert!(
        run.stderr.contains("multiple repositories"),
        "{}",
        run.stderr
    );
    assert_eq!(blobs(&engine), before);
}

#[test]
fn a_stopped_container_keeps_its_layers_after_rmi_f_until_it_is_gone_and_pruned() {
    let engine = Engine::with_busybox();
    let id = engine
        .ok(&["create", "busybox", "echo", "still here"])
        .trim()
        .to_string();
    let refused = engine.run(&["rmi", "busybox"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    let out = engine.ok(&["rmi", "-f", "busybox"]);
    assert!(out.contains("Deleted: sha256:"), "{out}");
    assert_eq!(engine.ok(&["images", "-q"]), "");
    // The container's image is untagged but its data stays: it still starts.
    assert!(!blobs(&engine).is_empty());
    assert_eq!(engine.ok(&["start", "-a", &id]), "still here\n");
    assert_eq!(
        df_images(&engine).0,
        "1",
        "counted while a container uses it"
    );

    engine.ok(&["rm", &id]);
    let out = engine.ok(&["system", "prune", "-f"]);
    assert!(out.contains("Deleted Images:\ndeleted: "), "{out}");
    assert_eq!(blobs(&engine), Vec::<String>::new());
    assert_eq!(layers(&engine), Vec::<String>::new());
    assert_eq!(df_images(&engine), ("0".into(), "0B".into()));
}

#[test]
fn rmi_f_of_a_running_containers_image_only_untags_it() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sleep", "1000"]);
    let before = blobs(&engine);
    let out = engine.ok(&["rmi", "-f", "busybox"]);
    assert_eq!(out, "Untagged: busybox:latest\n");
    assert_eq!(blobs(&engine), before);
    assert_eq!(
        engine.ok(&["exec", &id, "echo", "running on"]),
        "running on\n"
    );
}

#[test]
fn system_prune_keeps_tagged_images_and_df_matches_the_blobs() {
    let engine = Engine::with_busybox();
    let before = blobs(&engine);
    engine.ok(&["system", "prune", "-f"]);
    assert_eq!(blobs(&engine), before, "tagged: nothing to collect");
    let (total, size) = df_images(&engine);
    assert_eq!(total, "1");
    // SIZE is the layer blob's size, the one blob larger than a few KB.
    let layer_bytes: u64 = before
        .iter()
        .map(|b| std::fs::metadata(blob(&engine, b)).unwrap().len())
        .max()
        .unwrap();
    let shown = parse_size(&size);
    let off = (shown - layer_bytes as f64).abs() / layer_bytes as f64;
    assert!(off < 0.01, "df SIZE {size} vs {layer_bytes} bytes of layer");
}

/// Bytes from a size as `system df` prints it (`1.23MB`, `456kB`, `0B`; powers of 1000).
fn parse_size(text: &str) -> f64 {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap();
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => panic!("unit {other}"),
    };
    number.parse::<f64>().unwrap() * scale
}
