//! Feeds arbitrary statuses, `Retry-After` values and bodies to the response
//! parser and to a core waiting for its first answer.
#![no_main]

use std::sync::OnceLock;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;

static EPOCH: OnceLock<Instant> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    revault_auth_core::testing::fuzz_response(data, *EPOCH.get_or_init(Instant::now));
});
