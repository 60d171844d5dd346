//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) and the inputs that once
//! broke something (`fuzz/regressions/<target>/`) through the same functions the fuzz targets
//! run ([`capstone::fuzzing`]), so a plain `cargo test` checks them on the stable toolchain.
//! `scripts/fuzz.sh` runs the fuzzers themselves to find more.

use std::path::Path;

/// Feeds every file of the target's corpus and regressions to `body`; returns how many.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in [
        fuzz.join("corpus").join(target),
        fuzz.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.expect("corpus entry").path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("read corpus file");
            eprintln!("replaying {}", file.display());
            body(&data);
            count += 1;
        }
    }
    count
}

#[test]
fn dockerfile_corpus_replays_cleanly() {
    assert!(
        replay("dockerfile", capstone::fuzzing::dockerfile) > 0,
        "no corpus for dockerfile"
    );
}

#[test]
fn expansion_corpus_replays_cleanly() {
    assert!(
        replay("expansion", capstone::fuzzing::expansion) > 0,
        "no corpus for expansion"
    );
}

#[test]
fn dockerignore_corpus_replays_cleanly() {
    assert!(
        replay("dockerignore", capstone::fuzzing::dockerignore) > 0,
        "no corpus for dockerignore"
    );
}

#[test]
fn compose_corpus_replays_cleanly() {
    assert!(
        replay("compose", capstone::fuzzing::compose_file) > 0,
        "no corpus for compose"
    );
}

#[test]
fn format_corpus_replays_cleanly() {
    assert!(
        replay("format", capstone::fuzzing::format_template) > 0,
        "no corpus for format"
    );
}

#[test]
fn runtime_config_corpus_replays_cleanly() {
    assert!(
        replay("runtime_config", capstone::fuzzing::runtime_config) > 0,
        "no corpus for runtime_config"
    );
}
