//! Fuzz target `manifest`: see [`registry::fuzzing::manifest_document`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| registry::fuzzing::manifest_document(data));
