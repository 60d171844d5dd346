//! Fuzz target `engine_request`: see [`engineapi::fuzzing::engine_request`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| engineapi::fuzzing::engine_request(data));
