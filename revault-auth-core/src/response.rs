//! Reading revault-api's answers: status classes, the token pair, error
//! bodies and `Retry-After`. Nothing here can panic on any input.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use http::header::RETRY_AFTER;
use http::{HeaderMap, Response};
use serde::Deserialize;

use crate::config::Policy;
use crate::error::InvalidResponse;
use crate::secret::{AccessTokenSecret, RefreshToken};

/// A valid 200 answer.
#[derive(Debug)]
pub struct Grant {
    pub(crate) access_token: AccessTokenSecret,
    pub(crate) expires_in: Duration,
    pub(crate) refresh_token: RefreshToken,
    pub(crate) refresh_expires_in: Duration,
}

impl Grant {
    /// The access token's lifetime.
    pub fn expires_in(&self) -> Duration {
        self.expires_in
    }

    /// The refresh token's lifetime.
    pub fn refresh_expires_in(&self) -> Duration {
        self.refresh_expires_in
    }
}

/// How long the server asked us to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryAfter {
    Delay(Duration),
    Until(SystemTime),
}

/// A server's `{message, code}` as it came, before scrubbing and cutting
/// (see [`crate::scrub`]): never shown to anyone as it is.
#[derive(Debug, Default)]
pub(crate) struct RawMessage {
    pub(crate) message: String,
    pub(crate) code: String,
}

/// What an answer means for the state machine.
#[derive(Debug)]
pub(crate) enum Verdict {
    Granted(Grant),
    /// 401 or 403.
    Rejected {
        status: u16,
        server: Option<RawMessage>,
    },
    /// 400 with the spec's error body (`message` and `code`).
    BadRequest {
        server: RawMessage,
    },
    /// 404: the base URL is wrong.
    NotFound,
    /// 420, 429, or 503 with `Retry-After`.
    RateLimited {
        status: u16,
        retry_after: Option<RetryAfter>,
    },
    /// 5xx without `Retry-After`.
    ServerError {
        status: u16,
        server: Option<RawMessage>,
    },
    /// Any status the API does not document here, and a 400 without the
    /// spec's error body (a proxy's page: nothing says our request is wrong).
    Unexpected {
        status: u16,
    },
    /// A 200 we cannot use.
    Invalid(InvalidResponse),
}

pub(crate) fn classify(response: &Response<Vec<u8>>, policy: &Policy) -> Verdict {
    let status = response.status().as_u16();
    let body = response.body();
    let error_message = || parse_error_body(body, policy.max_body);
    match status {
        200 => match parse_grant(body, policy) {
            Ok(grant) => Verdict::Granted(grant),
            Err(invalid) => Verdict::Invalid(invalid),
        },
        400 => match spec_error_body(body, policy.max_body) {
            Some(server) => Verdict::BadRequest { server },
            None => Verdict::Unexpected { status },
        },
        401 | 403 => Verdict::Rejected {
            status,
            server: error_message(),
        },
        404 => Verdict::NotFound,
        420 | 429 => Verdict::RateLimited {
            status,
            retry_after: retry_after(response.headers()),
        },
        503 if response.headers().contains_key(RETRY_AFTER) => Verdict::RateLimited {
            status,
            retry_after: retry_after(response.headers()),
        },
        500..=599 => Verdict::ServerError {
            status,
            server: error_message(),
        },
        _ => Verdict::Unexpected { status },
    }
}

/// Tokens are borrowed from the body when they hold no escapes (they never
/// do in practice), so each is copied exactly once, into its secret type.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantBody<'a> {
    #[serde(borrow)]
    access_token: Cow<'a, str>,
    expires_in_seconds: f64,
    #[serde(borrow)]
    refresh_token: Cow<'a, str>,
    refresh_expires_in_seconds: f64,
}

const FIELDS: [&str; 4] = [
    "accessToken",
    "expiresInSeconds",
    "refreshToken",
    "refreshExpiresInSeconds",
];

/// Longest token accepted; real JWTs are well under 2 KiB.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Parses and validates a 200 body. Public for the fuzzer and benchmarks.
pub fn parse_grant(body: &[u8], policy: &Policy) -> Result<Grant, InvalidResponse> {
    if body.len() > policy.max_body {
        return Err(InvalidResponse::BodyTooLarge {
            limit: policy.max_body,
        });
    }
    let parsed: GrantBody = serde_json::from_slice(body).map_err(|error| json_error(&error))?;
    let lifetime = |seconds: f64, field: &'static str| {
        Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|d| *d >= policy.min_lifetime && *d <= policy.max_lifetime)
            .ok_or(InvalidResponse::BadLifetime(field))
    };
    let expires_in = lifetime(parsed.expires_in_seconds, "expiresInSeconds")?;
    let refresh_expires_in =
        lifetime(parsed.refresh_expires_in_seconds, "refreshExpiresInSeconds")?;
    let access_token = token(parsed.access_token, "accessToken")?;
    let refresh_token = token(parsed.refresh_token, "refreshToken")?;
    Ok(Grant {
        access_token: AccessTokenSecret::new(access_token),
        expires_in,
        refresh_token: RefreshToken::new(refresh_token),
        refresh_expires_in,
    })
}

/// A token must fit in a header: visible ASCII only, no spaces.
pub(crate) fn usable_token(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_TOKEN_LEN && value.bytes().all(|b| b.is_ascii_graphic())
}

/// A token must fit in a header: visible ASCII only, no spaces.
fn token(value: Cow<'_, str>, field: &'static str) -> Result<String, InvalidResponse> {
    let usable = usable_token(&value);
    let owned = usable.then(|| value.as_ref().to_owned());
    if let Cow::Owned(mut unescaped) = value {
        zeroize::Zeroize::zeroize(&mut unescaped);
    }
    owned.ok_or(InvalidResponse::BadToken(field))
}

/// serde_json's messages can quote the offending value, which may be a
/// token: keep only our own field names.
fn json_error(error: &serde_json::Error) -> InvalidResponse {
    use serde_json::error::Category;
    match error.classify() {
        Category::Io | Category::Syntax | Category::Eof => InvalidResponse::NotJson,
        Category::Data => {
            let message = error.to_string();
            let field = FIELDS.iter().copied().find(|field| {
                message.starts_with(&format!("missing field `{field}`"))
                    || message.starts_with(&format!("duplicate field `{field}`"))
            });
            match field {
                Some(field) if message.starts_with("missing") => {
                    InvalidResponse::MissingField(field)
                }
                Some(field) => InvalidResponse::DuplicateField(field),
                None => InvalidResponse::WrongShape,
            }
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    code: Option<String>,
}

fn error_body(body: &[u8], max_body: usize) -> Option<ErrorBody> {
    if body.len() > max_body {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// The `{message, code}` of an error body, when it has either.
fn parse_error_body(body: &[u8], max_body: usize) -> Option<RawMessage> {
    let parsed = error_body(body, max_body)?;
    if parsed.message.is_none() && parsed.code.is_none() {
        return None;
    }
    Some(RawMessage {
        message: parsed.message.unwrap_or_default(),
        code: parsed.code.unwrap_or_default(),
    })
}

/// The spec's error shape: a JSON object with a string `message` and a
/// string `code`.
fn spec_error_body(body: &[u8], max_body: usize) -> Option<RawMessage> {
    let parsed = error_body(body, max_body)?;
    Some(RawMessage {
        message: parsed.message?,
        code: parsed.code?,
    })
}

fn retry_after(headers: &HeaderMap) -> Option<RetryAfter> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(RetryAfter::Delay(Duration::from_secs(seconds)));
    }
    // Too many digits for a u64 is a very long wait, not an absent header:
    // saturate, and let `retry_after_cap` bound it.
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(RetryAfter::Delay(Duration::MAX));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_nan() || seconds < 0.0 {
            return None;
        }
        // Beyond what a Duration holds (infinity included): saturate too.
        return Some(RetryAfter::Delay(
            Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX),
        ));
    }
    httpdate::parse_http_date(text).ok().map(RetryAfter::Until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::default()
    }

    fn body(expires: &str, refresh_expires: &str) -> Vec<u8> {
        format!(
            r#"{{"accessToken":"a.b.c","expiresInSeconds":{expires},"refreshToken":"r-1","refreshExpiresInSeconds":{refresh_expires}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn accepts_fractional_lifetimes() {
        let grant = parse_grant(&body("299.5", "1800"), &policy()).expect("valid");
        assert_eq!(grant.expires_in(), Duration::from_millis(299_500));
        assert_eq!(grant.refresh_expires_in(), Duration::from_secs(1800));
        assert_eq!(grant.access_token.expose_secret(), "a.b.c");
    }

    #[test]
    fn rejects_unusable_lifetimes() {
        for bad in ["0", "-5", "0.2", "1e300", "31536000000"] {
            assert_eq!(
                parse_grant(&body(bad, "1800"), &policy()).map(|_| ()),
                Err(InvalidResponse::BadLifetime("expiresInSeconds")),
                "{bad}"
            );
        }
        assert_eq!(
            parse_grant(&body("300", "-1"), &policy()).map(|_| ()),
            Err(InvalidResponse::BadLifetime("refreshExpiresInSeconds"))
        );
    }

    #[test]
    fn json_errors_never_quote_values() {
        let wrong_type = br#"{"accessToken":123,"expiresInSeconds":"leaky-token-value","refreshToken":"r","refreshExpiresInSeconds":1}"#;
        let error = parse_grant(wrong_type, &policy()).expect_err("wrong types");
        assert_eq!(error, InvalidResponse::WrongShape);
        assert!(!format!("{error} {error:?}").contains("leaky"));
        assert_eq!(
            parse_grant(br#"{"accessToken":"a"}"#, &policy()).map(|_| ()),
            Err(InvalidResponse::MissingField("expiresInSeconds"))
        );
        assert_eq!(
            parse_grant(
                br#"{"accessToken":"a","accessToken":"b","expiresInSeconds":3,"refreshToken":"r","refreshExpiresInSeconds":9}"#,
                &policy()
            )
            .map(|_| ()),
            Err(InvalidResponse::DuplicateField("accessToken"))
        );
        assert_eq!(
            parse_grant(b"<html>oops</html>", &policy()).map(|_| ()),
            Err(InvalidResponse::NotJson)
        );
        assert_eq!(
            parse_grant(&[0xff, 0xfe, 0x00], &policy()).map(|_| ()),
            Err(InvalidResponse::NotJson)
        );
    }

    #[test]
    fn tokens_up_to_16_kib_are_accepted() {
        let with_token = |len: usize| {
            format!(
                r#"{{"accessToken":"{}","expiresInSeconds":3,"refreshToken":"r","refreshExpiresInSeconds":9}}"#,
                "a".repeat(len)
            )
        };
        assert!(parse_grant(with_token(16 * 1024).as_bytes(), &policy()).is_ok());
        assert_eq!(
            parse_grant(with_token(16 * 1024 + 1).as_bytes(), &policy()).map(|_| ()),
            Err(InvalidResponse::BadToken("accessToken"))
        );
    }

    #[test]
    fn lifetimes_at_the_bounds_are_accepted() {
        let max = policy().max_lifetime.as_secs().to_string();
        assert!(parse_grant(&body("1", &max), &policy()).is_ok());
    }

    #[test]
    fn tokens_must_fit_in_a_header() {
        let spaced = br#"{"accessToken":"a b","expiresInSeconds":3,"refreshToken":"r","refreshExpiresInSeconds":9}"#;
        assert_eq!(
            parse_grant(spaced, &policy()).map(|_| ()),
            Err(InvalidResponse::BadToken("accessToken"))
        );
        let empty = br#"{"accessToken":"a","expiresInSeconds":3,"refreshToken":"","refreshExpiresInSeconds":9}"#;
        assert_eq!(
            parse_grant(empty, &policy()).map(|_| ()),
            Err(InvalidResponse::BadToken("refreshToken"))
        );
    }

    #[test]
    fn retry_after_takes_seconds_or_http_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, http::HeaderValue::from_static("7"));
        assert_eq!(
            retry_after(&headers),
            Some(RetryAfter::Delay(Duration::from_secs(7)))
        );
        headers.insert(
            RETRY_AFTER,
            http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert!(matches!(retry_after(&headers), Some(RetryAfter::Until(_))));
        headers.insert(RETRY_AFTER, http::HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn error_bodies_keep_message_and_code_and_400_needs_both() {
        let body = br#"{"message":"bad thing","code":"BAD_REQUEST"}"#;
        let message = parse_error_body(body, 65536).expect("parsed");
        assert_eq!(message.message, "bad thing");
        assert_eq!(message.code, "BAD_REQUEST");
        assert!(spec_error_body(body, 65536).is_some());
        assert!(spec_error_body(br#"{"message":"only"}"#, 65536).is_none());
        assert!(parse_error_body(br#"{"message":"only"}"#, 65536).is_some());
        assert!(parse_error_body(br#"{"other":1}"#, 65536).is_none());
        assert!(parse_error_body(b"<html>", 65536).is_none());
        assert!(parse_error_body(body, body.len() - 1).is_none());
        assert!(parse_error_body(body, body.len()).is_some());
    }
}
