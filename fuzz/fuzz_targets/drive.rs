//! Drives an `AuthCore` with an arbitrary script of time steps, server
//! answers, rejections and clock trouble, checking its invariants throughout.
#![no_main]

use std::sync::OnceLock;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;

static EPOCH: OnceLock<Instant> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    revault_auth_core::testing::fuzz_drive(data, *EPOCH.get_or_init(Instant::now));
});
