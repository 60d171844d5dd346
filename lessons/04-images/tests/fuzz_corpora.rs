//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) and the inputs that once
//! broke something (`fuzz/regressions/<target>/`) through the same functions the fuzz targets
//! run ([`images::fuzzing`]), so a plain `cargo test` checks them on the stable toolchain.
//! `scripts/fuzz.sh` runs the fuzzers themselves to find more.

/// Feeds every file of the target's corpus and regressions to `body`; returns how many.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    harness::fuzz::replay(&fuzz, target, body)
}

#[test]
fn layer_apply_corpus_replays_cleanly() {
    assert!(
        replay("layer_apply", images::fuzzing::apply_layer_in_jail) > 0,
        "no corpus for layer_apply"
    );
}

#[test]
fn digest_verify_corpus_replays_cleanly() {
    assert!(
        replay("digest_verify", images::fuzzing::digest_mismatch_is_refused) > 0,
        "no corpus for digest_verify"
    );
}

#[test]
fn config_json_corpus_replays_cleanly() {
    assert!(
        replay("config_json", images::fuzzing::config_document) > 0,
        "no corpus for config_json"
    );
}
