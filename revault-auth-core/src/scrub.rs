//! Scrubbing server text before anyone sees it. Servers and proxies echo
//! what they were sent (`"bad key abc123"`, `"auth header was Bearer
//! eyJ..."`), so every form a secret of ours can take is replaced first, and
//! only then is the text cleaned of control characters and cut: cutting
//! first could leave the prefix of a secret that straddled the cut.

/// Longest server `message` or `code` kept, in characters.
pub const MAX_SERVER_TEXT_CHARS: usize = 300;

/// What a scrubbed secret reads as.
const REDACTED: &str = "[redacted]";

/// Scrubs `text` of every listed secret (empty ones are ignored), of any
/// `Bearer <token>` and of any JWT-looking `eyJ...` run; then replaces
/// control characters with spaces and cuts the result to
/// [`MAX_SERVER_TEXT_CHARS`] characters.
pub fn scrub_server_text(text: &str, secrets: &[&str]) -> String {
    let mut scrubbed = text.to_owned();
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        if scrubbed.contains(secret) {
            scrubbed = scrubbed.replace(secret, REDACTED);
        }
    }
    let scrubbed = redact_bearer_and_jwt(&scrubbed);
    scrubbed
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_SERVER_TEXT_CHARS)
        .collect()
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
