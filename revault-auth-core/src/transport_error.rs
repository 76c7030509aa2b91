//! What a transport reports when an exchange fails: the kind the core
//! decides on, and the HTTP client's own words for people to read. The
//! words never reach the core or its events; drivers keep them beside the
//! kind and hand them to callers as an error's `source()`.

use std::error::Error;
use std::fmt;

use crate::error::TransportErrorKind;

/// At most this many characters of an HTTP client's message are kept.
pub const MAX_CAUSE_CHARS: usize = 400;

/// How a transport's exchange failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    /// What the core decides on.
    pub kind: TransportErrorKind,
    /// What the HTTP client said, sanitised.
    pub cause: Option<TransportCause>,
}

impl TransportError {
    /// A failure of `kind` whose cause is the HTTP client's `error` (its
    /// whole source chain, sanitised: see [`TransportCause`]).
    pub fn with_cause(kind: TransportErrorKind, error: &(dyn Error + 'static)) -> Self {
        Self {
            kind,
            cause: Some(TransportCause::from_error(error)),
        }
    }
}

impl From<TransportErrorKind> for TransportError {
    fn from(kind: TransportErrorKind) -> Self {
        Self { kind, cause: None }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl Error for TransportError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_ref().map(|cause| cause as _)
    }
}

/// An HTTP client's message about a failure, for people to read (such as
/// "invalid peer certificate: UnknownIssuer"). Sanitised when built: every
/// URL loses its user information, query and fragment, control characters
/// become spaces, and at most [`MAX_CAUSE_CHARS`] characters are kept.
/// Clients do not put request bodies or headers in their errors, so no
/// credential of ours can be in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportCause(String);

impl TransportCause {
    /// `error` and its sources, joined with ": " (a message already
    /// contained in the one before it is skipped), sanitised.
    pub fn from_error(error: &(dyn Error + 'static)) -> Self {
        let mut text = String::new();
        let mut next = Some(error);
        while let Some(error) = next {
            let message = error.to_string();
            if !text.contains(&message) {
                if !text.is_empty() {
                    text.push_str(": ");
                }
                text.push_str(&message);
            }
            next = error.source();
        }
        Self::new(&text)
    }

    /// `text`, sanitised.
    pub fn new(text: &str) -> Self {
        let words: Vec<String> = text.split(' ').map(strip_url).collect();
        let clean: String = words
            .join(" ")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut kept: String = clean.chars().take(MAX_CAUSE_CHARS).collect();
        if kept.len() < clean.len() {
            kept.push('…');
        }
        Self(kept)
    }

    /// The message.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for TransportCause {}

/// `word` with any URL in it reduced to scheme, host, port and path.
fn strip_url(word: &str) -> String {
    let Some(start) = word.find("://") else {
        return word.to_owned();
    };
    let (head, rest) = word.split_at(start + 3);
    // Past the URL: what a message wraps it in.
    let url_end = rest.find([')', '"', '\'', '>', ',']).unwrap_or(rest.len());
    let (url, tail) = rest.split_at(url_end);
    let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let (authority, path) = url.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    format!("{head}{host}{path}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_keeps_no_user_information_query_or_fragment() {
        let cause = TransportCause::new(
            "error sending request for url (https://user:pass@api.example:8443/v1/rest/auth/token?key=secret#frag): refused",
        );
        assert_eq!(
            cause.as_str(),
            "error sending request for url (https://api.example:8443/v1/rest/auth/token): refused"
        );
    }

    #[test]
    fn a_cause_is_bounded_and_has_no_control_characters() {
        let cause = TransportCause::new(&format!("bad\r\nline {}", "x".repeat(1000)));
        assert!(cause.as_str().starts_with("bad  line x"));
        assert_eq!(cause.as_str().chars().count(), MAX_CAUSE_CHARS + 1);
    }

    #[test]
    fn a_cause_joins_the_source_chain_once() {
        let inner = std::io::Error::other("invalid peer certificate: UnknownIssuer");
        let outer = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, inner);
        // io::Error's Display shows the inner error's and its source is it:
        // the repeat is skipped.
        let cause = TransportCause::from_error(&outer);
        assert_eq!(cause.as_str(), "invalid peer certificate: UnknownIssuer");
        let error = TransportError::with_cause(TransportErrorKind::Connect, &outer);
        assert_eq!(error.to_string(), "could not connect");
        assert_eq!(
            error.source().map(ToString::to_string).as_deref(),
            Some("invalid peer certificate: UnknownIssuer")
        );
    }
}
