//! Fuzz target `layer_apply`: see [`images::fuzzing::apply_layer_in_jail`] for the input and the properties.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| images::fuzzing::apply_layer_in_jail(data));
