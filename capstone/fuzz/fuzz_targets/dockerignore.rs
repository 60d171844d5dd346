//! Fuzz target `dockerignore`: see [`capstone::fuzzing::dockerignore`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| capstone::fuzzing::dockerignore(data));
