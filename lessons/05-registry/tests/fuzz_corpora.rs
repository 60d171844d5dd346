//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`), the hand-written seeds
//! (`fuzz/seeds/<target>/`) and the inputs that once broke something
//! (`fuzz/regressions/<target>/`) through the same functions the fuzz targets
//! run ([`registry::fuzzing`]), so a plain `cargo test` checks them on the stable toolchain.
//! `scripts/fuzz.sh` runs the fuzzers themselves to find more.

/// Feeds every file of the target's corpus and regressions to `body`; returns how many.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    harness::fuzz::replay(&fuzz, target, body)
}

#[test]
fn reference_corpus_replays_cleanly() {
    assert!(
        replay("reference", registry::fuzzing::reference_round_trip) > 0,
        "no corpus for reference"
    );
}

#[test]
fn manifest_corpus_replays_cleanly() {
    assert!(
        replay("manifest", registry::fuzzing::manifest_document) > 0,
        "no corpus for manifest"
    );
}

#[test]
fn registry_request_corpus_replays_cleanly() {
    assert!(
        replay("registry_request", registry::fuzzing::registry_request) > 0,
        "no corpus for registry_request"
    );
}
