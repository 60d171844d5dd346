//! Fuzz target `runtime_config`: see [`capstone::fuzzing::runtime_config`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| capstone::fuzzing::runtime_config(data));
