//! Fuzz target `digest_verify`: see [`images::fuzzing::digest_mismatch_is_refused`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| images::fuzzing::digest_mismatch_is_refused(data));
