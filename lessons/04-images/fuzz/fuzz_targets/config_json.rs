//! Fuzz target `config_json`: see [`images::fuzzing::config_document`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| images::fuzzing::config_document(data));
