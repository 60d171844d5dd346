//! Fuzz target `reference`: see [`registry::fuzzing::reference_round_trip`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| registry::fuzzing::reference_round_trip(data));
