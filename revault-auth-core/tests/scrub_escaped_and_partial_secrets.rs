//! A server that quotes what it was sent can echo a secret in more forms
//! than the secret itself: JSON-escaped (a secret holding `"` or `\`), cut
//! (minus its last character), or split between `message` and `code`. The
//! rule: any run of the text that is a piece of a secret (or of its JSON
//! escape) at least `MIN_SCRUBBED_CHARS` long is redacted. And bidi and
//! other format characters, which could reorder the error line on a
//! terminal, never reach it.

mod common;

use std::time::Duration;

use common::{KEY_ID, WORKSPACE, epoch};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{ApiKeySecret, Config, MIN_SCRUBBED_CHARS, scrub_server_text};

/// A secret with both characters JSON escapes.
const QUOTED_SECRET: &str = r#"k3y"with\quote-9f2c71d0"#;

fn refused_with(message: &str, code: &str) -> String {
    let config = Config::builder(
        "https://revault.test/v1/rest",
        WORKSPACE,
        KEY_ID,
        ApiKeySecret::new(QUOTED_SECRET),
    )
    .build()
    .expect("config");
    let mut harness = Harness::new(config, epoch());
    let body = serde_json::json!({ "message": message, "code": code }).to_string();
    harness.push(Reply::Raw(401, body.into_bytes()));
    harness.start();
    harness.advance(Duration::from_secs(1));
    let error = harness.core.failure().expect("refused");
    let server = error.server_message().expect("server message").clone();
    format!("{error} | {error:?} | {} | {}", server.message, server.code)
}

fn escaped(secret: &str) -> String {
    let quoted = serde_json::to_string(secret).expect("encode");
    quoted[1..quoted.len() - 1].to_owned()
}

/// Every piece of `secret` of `MIN_SCRUBBED_CHARS` characters.
fn pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(MIN_SCRUBBED_CHARS)
        .map(|window| window.iter().collect())
        .collect()
}

fn assert_no_piece_of(shown: &str, secret: &str) {
    for piece in pieces(secret) {
        assert!(!shown.contains(&piece), "{piece:?} in {shown}");
    }
}

#[test]
fn a_json_escaped_secret_quoted_back_is_scrubbed() {
    let body = format!(r#"{{"apiKeySecret":"{}"}}"#, escaped(QUOTED_SECRET));
    let shown = refused_with(&format!("bad request body: {body}"), "UNAUTHORIZED");
    assert_no_piece_of(&shown, QUOTED_SECRET);
    assert_no_piece_of(&shown, &escaped(QUOTED_SECRET));
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[test]
fn a_secret_minus_its_last_character_is_scrubbed() {
    let cut = &QUOTED_SECRET[..QUOTED_SECRET.len() - 1];
    let shown = refused_with(&format!("unknown key {cut}"), "UNAUTHORIZED");
    assert_no_piece_of(&shown, QUOTED_SECRET);
}

#[test]
fn a_secret_split_between_message_and_code_is_scrubbed() {
    let (head, tail) = QUOTED_SECRET.split_at(QUOTED_SECRET.len() / 2);
    let shown = refused_with(&format!("key starts {head}"), tail);
    assert_no_piece_of(&shown, QUOTED_SECRET);
}

#[test]
fn any_long_enough_piece_of_a_secret_is_scrubbed_and_shorter_text_kept() {
    let secret = "tok-0123456789abcdef-refresh";
    let middle = &secret[6..6 + MIN_SCRUBBED_CHARS];
    let shown = scrub_server_text(&format!("saw {middle} here"), &[secret]);
    assert_eq!(shown, "saw [redacted] here");
    // Ordinary words that share a few characters with a secret stay.
    let short = &secret[..MIN_SCRUBBED_CHARS - 1];
    let kept = scrub_server_text(&format!("saw {short} here"), &[secret]);
    assert_eq!(kept, format!("saw {short} here"));
    // A secret shorter than the minimum is still scrubbed whole.
    assert_eq!(
        scrub_server_text("pin 1234 bad", &["1234"]),
        "pin [redacted] bad"
    );
}

#[test]
fn bidi_and_format_characters_never_reach_the_shown_text() {
    let spoof =
        "denied \u{202e}ti tpecca\u{202c} \u{2066}x\u{2069}\u{200b}\u{200f}\u{feff}\u{061c}";
    let shown = refused_with(spoof, "CODE\u{202e}X");
    for c in [
        '\u{202e}', '\u{202c}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{200f}', '\u{feff}',
        '\u{061c}',
    ] {
        assert!(!shown.contains(c), "{c:?} in {shown:?}");
    }
    assert!(shown.contains("denied"), "{shown}");
}

#[test]
fn bidi_characters_in_a_refused_url_are_shown_escaped() {
    let url = "https://revault.test/v1/\u{202e}tser#fragment";
    let error = Config::builder(url, WORKSPACE, KEY_ID, ApiKeySecret::new("s3cr3t-value"))
        .build()
        .expect_err("a fragment is refused");
    let shown = error.to_string();
    assert!(!shown.contains('\u{202e}'), "{shown:?}");
    assert!(shown.contains("\\u{202e}"), "{shown:?}");
}

#[test]
fn a_text_that_is_exactly_one_piece_is_scrubbed() {
    let secret = "0123456789abcdef-exact-piece";
    let piece: String = secret.chars().skip(3).take(MIN_SCRUBBED_CHARS).collect();
    let shown = scrub_server_text(&piece, &[secret]);
    assert!(!shown.contains(&piece), "{shown}");
    // One character short of a piece is left as it is.
    let short: String = piece.chars().skip(1).collect();
    assert_eq!(scrub_server_text(&short, &[secret]), short);
}
