//! Fuzz target `dockerfile`: see [`capstone::fuzzing::dockerfile`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| capstone::fuzzing::dockerfile(data));
