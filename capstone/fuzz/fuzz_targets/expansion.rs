//! Fuzz target `expansion`: see [`capstone::fuzzing::expansion`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| capstone::fuzzing::expansion(data));
