//! Feeds arbitrary `WWW-Authenticate` values to the challenge parser and to
//! the 401 policy's reading of them: neither may panic, and what parses
//! keeps its parameters readable.
#![no_main]

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use revault_auth_middleware::Challenge;
use revault_auth_middleware::www_authenticate::parse;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for challenge in parse(text) {
            assert!(!challenge.scheme().is_empty());
            let _ = challenge.param("error");
            let _ = challenge.params().count();
        }
    }
    let mut headers = HeaderMap::new();
    for value in data.split(|byte| *byte == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(WWW_AUTHENTICATE, value);
        }
    }
    let _ = Challenge::of(&headers);
});
