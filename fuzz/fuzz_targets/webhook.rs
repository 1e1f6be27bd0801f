#![no_main]
// Body in crates/wablock-window/src/webhook.rs (replayed on stable by its tests).
libfuzzer_sys::fuzz_target!(|data: &[u8]| wablock_window::webhook::fuzz_webhook(data));
