//! Fuzz target `compose`: see [`capstone::fuzzing::compose_file`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| capstone::fuzzing::compose_file(data));
