//! Fuzz target `runtime_config_structured`: see [`capstone::fuzzing::runtime_config_structured`]
//! for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| capstone::fuzzing::runtime_config_structured(data));
