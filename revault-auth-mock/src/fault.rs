//! Fault injection: what the emulator can do instead of (or before) answering normally.

use std::time::Duration;

use bytes::Bytes;

use crate::spec::{Endpoint, error_body};

/// Which auth endpoint(s) a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `POST /auth/token` only.
    Token,
    /// `POST /auth/token/refresh` only.
    Refresh,
    /// Both auth endpoints.
    Both,
}

impl Target {
    /// Whether a request to `endpoint` is matched by this target.
    pub fn matches(self, endpoint: Endpoint) -> bool {
        matches!(
            (self, endpoint),
            (Self::Both, _) | (Self::Token, Endpoint::Token) | (Self::Refresh, Endpoint::Refresh)
        )
    }
}

impl From<Endpoint> for Target {
    fn from(endpoint: Endpoint) -> Self {
        match endpoint {
            Endpoint::Token => Self::Token,
            Endpoint::Refresh => Self::Refresh,
        }
    }
}

/// A fault applied to an auth request (`POST /auth/token` or `POST /auth/token/refresh`).
///
/// Faults are applied after the request body has been read and logged, and before it is
/// validated. Every answer produced by a fault carries `content-type: application/json`
/// (even [`Fault::MalformedOk`], whose point is a body that is not what it claims to be).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and this body, as is. See [`Fault::status`] for a body that
    /// follows the spec's error schema.
    Status {
        /// HTTP status code (an invalid code answers 500).
        status: u16,
        /// Response body.
        body: Bytes,
    },
    /// Wait this long, then process the request normally.
    Delay(Duration),
    /// Wait this long, then apply another fault.
    Delayed {
        /// How long to wait first.
        delay: Duration,
        /// The fault applied after the wait.
        then: Box<Fault>,
    },
    /// Answer `status` (420 or 429, usually) with `Retry-After` and `X-RateLimit-*` headers
    /// and a JSON error body.
    RateLimited {
        /// HTTP status code.
        status: u16,
        /// Value of `Retry-After`, in seconds.
        retry_after_secs: u64,
        /// Value of `X-RateLimit-Limit`.
        limit: u64,
        /// Value of `X-RateLimit-Remaining`.
        remaining: u64,
        /// Value of `X-RateLimit-Reset` (seconds until the window resets).
        reset_secs: u64,
    },
    /// Answer 200 with these bytes as the body (malformed JSON, wrong shape, ...).
    MalformedOk(Bytes),
    /// Answer a redirect (`307` usually) to `location`, with a JSON body.
    Redirect {
        /// HTTP status code.
        status: u16,
        /// Value of the `Location` header.
        location: String,
    },
    /// Close the connection without answering anything.
    CloseConnection,
    /// Answer 401 with the spec's `UNAUTHORIZED` error body (e.g. "the refresh token was
    /// revoked").
    Unauthorized,
}

impl Fault {
    /// Answer `status` with a JSON error body that follows the spec's error schema
    /// (`{"message": ..., "code": ...}`), e.g. `Fault::status(503)`.
    pub fn status(status: u16) -> Self {
        let body = error_body(status, "Injected fault", None);
        Self::Status {
            status,
            body: Bytes::from(body),
        }
    }

    /// Answer `status` with this exact body.
    pub fn status_with_body(status: u16, body: impl Into<Bytes>) -> Self {
        Self::Status {
            status,
            body: body.into(),
        }
    }

    /// Answer 500 with the spec's `INTERNAL_SERVER_ERROR` error body.
    pub fn server_error() -> Self {
        Self::status(500)
    }

    /// Wait, then process the request normally.
    pub fn delay(delay: Duration) -> Self {
        Self::Delay(delay)
    }

    /// Wait, then apply this fault.
    #[must_use]
    pub fn after(self, delay: Duration) -> Self {
        Self::Delayed {
            delay,
            then: Box::new(self),
        }
    }

    /// 429 with `Retry-After: retry_after_secs` and `X-RateLimit-*` headers
    /// (limit 100, remaining 0, reset = `retry_after_secs`).
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::RateLimited {
            status: 429,
            retry_after_secs,
            limit: 100,
            remaining: 0,
            reset_secs: retry_after_secs,
        }
    }

    /// Like [`Fault::rate_limited`] with status 420 ("Enhance your calm").
    pub fn enhance_your_calm(retry_after_secs: u64) -> Self {
        Self::RateLimited {
            status: 420,
            retry_after_secs,
            limit: 100,
            remaining: 0,
            reset_secs: retry_after_secs,
        }
    }

    /// 200 with these bytes as the body.
    pub fn malformed_ok(body: impl Into<Bytes>) -> Self {
        Self::MalformedOk(body.into())
    }

    /// 307 to `location`.
    pub fn redirect(location: impl Into<String>) -> Self {
        Self::Redirect {
            status: 307,
            location: location.into(),
        }
    }

    /// Close the connection without answering.
    pub fn close_connection() -> Self {
        Self::CloseConnection
    }

    /// 401 with the spec's `UNAUTHORIZED` error body.
    pub fn unauthorized() -> Self {
        Self::Unauthorized
    }
}
