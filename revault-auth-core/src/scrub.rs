//! Scrubbing server text before anyone sees it. Servers and proxies echo
//! what they were sent (`"bad key abc123"`, `"auth header was Bearer
//! eyJ..."`), so every form a secret of ours can take is replaced first, and
//! only then is the text cleaned of control characters and cut: cutting
//! first could leave the prefix of a secret that straddled the cut.

use std::collections::HashSet;

use zeroize::Zeroizing;

/// Longest server `message` or `code` kept, in characters.
pub const MAX_SERVER_TEXT_CHARS: usize = 300;

/// The shortest piece of a secret scrubbed where it appears alone: long
/// enough that ordinary words rarely match a random secret by chance, short
/// enough that a server echoing part of a secret shows too little of it to
/// help a guess.
pub const MIN_SCRUBBED_CHARS: usize = 8;

/// What a scrubbed secret reads as.
const REDACTED: &str = "[redacted]";

/// Scrubs `text` of every listed secret (empty ones are ignored): of each
/// secret, of its JSON escape (a server quoting the request body), and of
/// any piece of either at least [`MIN_SCRUBBED_CHARS`] long (a secret cut,
/// or split between two fields); then of any `Bearer <token>` and of any
/// JWT-looking `eyJ...` run. Then drops bidi and other invisible format
/// characters (which could reorder or hide what a terminal shows), replaces
/// control characters with spaces and cuts the result to
/// [`MAX_SERVER_TEXT_CHARS`] characters.
pub fn scrub_server_text(text: &str, secrets: &[&str]) -> String {
    let chars: Zeroizing<Vec<char>> = Zeroizing::new(text.chars().collect());
    let mut secret_at = vec![false; chars.len()];
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        mark_pieces(&chars, secret, &mut secret_at);
        let escaped = json_escaped(secret);
        if escaped.as_str() != *secret {
            mark_pieces(&chars, &escaped, &mut secret_at);
        }
    }
    let mut scrubbed = Zeroizing::new(String::with_capacity(text.len()));
    for (index, &c) in chars.iter().enumerate() {
        if !secret_at[index] {
            scrubbed.push(c);
        } else if index == 0 || !secret_at[index - 1] {
            scrubbed.push_str(REDACTED);
        }
    }
    let scrubbed = redact_bearer_and_jwt(&scrubbed);
    scrubbed
        .chars()
        .filter(|&c| !is_invisible_format(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_SERVER_TEXT_CHARS)
        .collect()
}

/// Marks in `secret_at` every character of `text` inside a piece of
/// `secret`: a run of at least [`MIN_SCRUBBED_CHARS`] characters that
/// appears in the secret (every window of that width is looked up, so a
/// longer piece is covered by its overlapping windows), or the whole
/// secret, when it is shorter than that.
fn mark_pieces(text: &[char], secret: &str, secret_at: &mut [bool]) {
    let secret: Zeroizing<Vec<char>> = Zeroizing::new(secret.chars().collect());
    let width = MIN_SCRUBBED_CHARS.min(secret.len());
    if width == 0 || text.len() < width {
        return;
    }
    let windows: HashSet<&[char]> = if secret.len() < MIN_SCRUBBED_CHARS {
        HashSet::from([&secret[..]])
    } else {
        secret.windows(width).collect()
    };
    for (start, window) in text.windows(width).enumerate() {
        if windows.contains(window) {
            secret_at[start..start + width].fill(true);
        }
    }
}

/// `secret` as it reads inside a JSON string.
fn json_escaped(secret: &str) -> Zeroizing<String> {
    let mut quoted = Zeroizing::new(serde_json::to_string(secret).unwrap_or_default());
    if quoted.len() >= 2 {
        quoted.pop();
        quoted.remove(0);
    }
    quoted
}

/// Bidi controls and other characters with no glyph of their own (Unicode
/// general category Cf, the ones terminals honour): they could make the
/// error line read differently from what it holds.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Characters a bearer token or a JWT is made of (base64url, dots, and the
/// few others token68 allows).
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=')
}

/// Replaces the token after every `Bearer` (any case, then whitespace) and
/// every run starting with `eyJ` (a base64url-encoded JSON object: a JWT's
/// header).
fn redact_bearer_and_jwt(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((index, skip)) = next_secret(rest) {
        out.push_str(&rest[..index + skip]);
        out.push_str(REDACTED);
        let after = &rest[index + skip..];
        let end = after.find(|c: char| !token_char(c)).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Where the next secret starts in `text`: the byte index of its marker and
/// how many bytes of the marker to keep before the redaction.
fn next_secret(text: &str) -> Option<(usize, usize)> {
    let jwt = text
        .match_indices("eyJ")
        .find(|(index, _)| !preceded_by_token_char(text, *index))
        .map(|(index, _)| (index, 0));
    let bearer = bearer_at(text);
    match (jwt, bearer) {
        (Some(jwt), Some(bearer)) => Some(if bearer.0 <= jwt.0 { bearer } else { jwt }),
        (one, other) => one.or(other),
    }
}

fn preceded_by_token_char(text: &str, index: usize) -> bool {
    text[..index].chars().next_back().is_some_and(token_char)
}

/// The first `Bearer` (any case) followed by whitespace and a token char:
/// its index and the length of `Bearer` plus the whitespace.
fn bearer_at(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("bearer").find_map(|(index, word)| {
        let after = &text[index + word.len()..];
        let spaces = after.len() - after.trim_start().len();
        let token_follows = after[spaces..].starts_with(token_char);
        (spaces > 0 && token_follows).then_some((index, word.len() + spaces))
    })
}
