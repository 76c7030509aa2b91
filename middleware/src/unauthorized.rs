//! What to do when revault-api answers 401. The answer is not always the
//! token's fault: a route the API key lacks permission for answers 401 to
//! every token. Withdrawing the token for each such answer would make every
//! other caller wait for a new token and drive the token endpoint, so:
//!
//! - A 401 with `WWW-Authenticate: Bearer error="invalid_token"` is the
//!   token's fault: withdraw it and retry once with a new one.
//! - A 401 whose `Bearer` challenge names another error
//!   (`insufficient_scope`, `invalid_request`) is not: return it as it is.
//! - A 401 without such a challenge is taken for the token's fault, once:
//!   withdraw it and retry with a new token. If that retry, made with a
//!   token obtained after the report, gets a 401 too, the token was not the
//!   problem: the new token is **vouched for** during a cool-down, and 401s
//!   to it without an `invalid_token` challenge are returned as they are,
//!   withdrawing nothing. After the cool-down one more withdrawal is
//!   allowed (a token revoked later is replaced then).
//!
//! So a route answering 401 to everything costs at most one new token per
//! cool-down, and callers of other routes never wait for it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::HeaderMap;
use http::header::WWW_AUTHENTICATE;
use revault_auth_core::{AccessToken, TokenGeneration};

/// What a 401's `WWW-Authenticate` header says about the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// `Bearer error="invalid_token"`: the token is expired, revoked or
    /// malformed.
    InvalidToken,
    /// A `Bearer` challenge with another error: not the token's fault.
    OtherError,
    /// No `Bearer` challenge with an error: the header says nothing.
    Silent,
}

impl Challenge {
    /// Reads the `WWW-Authenticate` headers of a 401.
    pub fn of(headers: &HeaderMap) -> Self {
        let mut seen = Self::Silent;
        for value in headers.get_all(WWW_AUTHENTICATE) {
            let Ok(text) = value.to_str() else { continue };
            match bearer_error(text) {
                Some(error) if error.eq_ignore_ascii_case("invalid_token") => {
                    return Self::InvalidToken;
                }
                Some(_) => seen = Self::OtherError,
                None => {}
            }
        }
        seen
    }
}

/// The `error` parameter of a `Bearer` challenge (RFC 6750 §3), if any.
fn bearer_error(header: &str) -> Option<&str> {
    let rest = header.trim_start();
    let scheme = rest.get(..6)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    rest[6..].split(',').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("error")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// What the caller does with a 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Withdraw the token (report it to the manager) and send the request
    /// once more with a new one, if it can be sent again.
    WithdrawAndRetry,
    /// Return the 401 as it is; the token stays.
    Return,
}

/// The default cool-down of a vouched-for token.
pub const DEFAULT_COOL_DOWN: Duration = Duration::from_secs(30);

/// The 401 policy of one client (see the module docs). Share one per
/// token manager (the middleware keeps it behind an `Arc`).
#[derive(Debug)]
pub struct UnauthorizedPolicy {
    cool_down: Duration,
    /// The token a retry proved innocent, and until when.
    vouched: Mutex<Option<(TokenGeneration, Instant)>>,
}

impl Default for UnauthorizedPolicy {
    fn default() -> Self {
        Self::new(DEFAULT_COOL_DOWN)
    }
}

impl UnauthorizedPolicy {
    /// A policy vouching for a token for `cool_down` after a retry with it
    /// got a 401.
    pub fn new(cool_down: Duration) -> Self {
        Self {
            cool_down,
            vouched: Mutex::new(None),
        }
    }

    /// How long a token stays vouched for.
    pub fn cool_down(&self) -> Duration {
        self.cool_down
    }

    /// A first attempt made with `token` got a 401 with these headers.
    pub fn first(&self, token: &AccessToken, headers: &HeaderMap) -> Verdict {
        match Challenge::of(headers) {
            Challenge::InvalidToken => Verdict::WithdrawAndRetry,
            Challenge::OtherError => Verdict::Return,
            Challenge::Silent if self.vouches(token.generation()) => Verdict::Return,
            Challenge::Silent => Verdict::WithdrawAndRetry,
        }
    }

    /// A retry made with `fresh`, a token obtained after the first 401 was
    /// reported, got a 401 too: withdraw `fresh` only when the server says
    /// it is invalid; otherwise vouch for it.
    pub fn retry(&self, fresh: &AccessToken, headers: &HeaderMap) -> Verdict {
        if Challenge::of(headers) == Challenge::InvalidToken {
            return Verdict::WithdrawAndRetry;
        }
        let until = Instant::now().checked_add(self.cool_down);
        let mut vouched = self.vouched.lock().unwrap_or_else(|p| p.into_inner());
        *vouched = until.map(|until| (fresh.generation(), until));
        Verdict::Return
    }

    fn vouches(&self, generation: TokenGeneration) -> bool {
        let vouched = *self.vouched.lock().unwrap_or_else(|p| p.into_inner());
        vouched.is_some_and(|(vouched, until)| vouched == generation && Instant::now() < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn challenges_are_read_from_bearer_errors_only() {
        let cases = [
            (vec![], Challenge::Silent),
            (vec![r#"Bearer realm="api""#], Challenge::Silent),
            (
                vec![r#"Bearer realm="api", error="invalid_token""#],
                Challenge::InvalidToken,
            ),
            (
                vec![r#"bearer error=invalid_token"#],
                Challenge::InvalidToken,
            ),
            (
                vec![r#"Bearer error="insufficient_scope""#],
                Challenge::OtherError,
            ),
            (vec![r#"Basic error="invalid_token""#], Challenge::Silent),
            (
                vec![r#"Basic realm="x""#, r#"Bearer error="invalid_token""#],
                Challenge::InvalidToken,
            ),
        ];
        for (values, expected) in cases {
            assert_eq!(Challenge::of(&headers(&values)), expected, "{values:?}");
        }
    }
}
