#![no_main]
// Body in crates/wablock-faults/src/fuzz_targets.rs (replayed on stable by its tests).
libfuzzer_sys::fuzz_target!(|data: &[u8]| wablock_faults::fuzz_targets::normalize_input(data));
