//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`), the hand-written seeds
//! (`fuzz/seeds/<target>/`) and the inputs that once broke something
//! (`fuzz/regressions/<target>/`) through the same functions the fuzz targets
//! run ([`capstone::fuzzing`]), so a plain `cargo test` checks them on the stable toolchain.
//! `scripts/fuzz.sh` runs the fuzzers themselves to find more.

/// Feeds every file of the target's corpus and regressions to `body`; returns how many.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    harness::fuzz::replay(&fuzz, target, body)
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

#[test]
fn runtime_config_structured_corpus_replays_cleanly() {
    assert!(
        replay(
            "runtime_config_structured",
            capstone::fuzzing::runtime_config_structured
        ) > 0,
        "no corpus for runtime_config_structured"
    );
}
