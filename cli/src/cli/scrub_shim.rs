//! TEMPORARY SHIM — delete when `revault_auth_core::scrub_server_text`
//! (issue 12.1, the core engineer's `revault-auth-core/src/scrub.rs`) is on
//! `main`, and import that instead in `get.rs`:
//! `use revault_auth::core::scrub_server_text;`.
//!
//! Same name and signature, same rule: scrub every known secret and every
//! `Bearer <token>` / `eyJ...` run first, then replace control characters,
//! then cut to 300 characters.

const REDACTED: &str = "[redacted]";
const MAX_CHARS: usize = 300;

pub(crate) fn scrub_server_text(text: &str, secrets: &[&str]) -> String {
    let mut scrubbed = text.to_owned();
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        scrubbed = scrubbed.replace(secret, REDACTED);
    }
    let words: Vec<String> = scrubbed
        .split(' ')
        .scan(false, |after_bearer, word| {
            let redact = *after_bearer || word.starts_with("eyJ");
            *after_bearer = word.eq_ignore_ascii_case("bearer");
            Some(if redact && !word.is_empty() {
                REDACTED.to_owned()
            } else {
                word.to_owned()
            })
        })
        .collect();
    words
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect()
}
