//! Fuzz target `registry_request`: see [`registry::fuzzing::registry_request`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| registry::fuzzing::registry_request(data));
