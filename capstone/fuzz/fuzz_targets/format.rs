//! Fuzz target `format`: see [`capstone::fuzzing::format_template`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| capstone::fuzzing::format_template(data));
