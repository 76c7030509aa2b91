//! Errors. None of them can hold a secret: server messages are scrubbed of
//! the secrets the core knows, and JSON errors keep only our own field names.

use std::fmt;
use std::time::Duration;

use crate::transport_error::TransportCause;

/// Why obtaining a token failed. Carried by [`crate::Event::RetryScheduled`]
/// (transient) and [`crate::Event::Failed`] (callers fail at once).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// `/auth/token` answered 401 or 403: the API key is wrong, revoked or not
    /// allowed in this workspace. Callers get it at once; the core itself
    /// tries again only on the slow schedule (`Policy::refused_retry_base`,
    /// doubling up to `Policy::refused_retry_cap`), and at once after
    /// [`crate::AuthCore::update_api_key`].
    #[error(
        "credentials rejected by revault-api (HTTP {status}){}",
        ServerMessage::suffix(server)
    )]
    CredentialsRejected {
        /// 401 or 403.
        status: u16,
        /// What the server said, if it said anything readable.
        server: Option<ServerMessage>,
    },
    /// `/auth/token` answered 400 with the spec's error body: the request
    /// itself is wrong (for example an unknown workspace). Like
    /// [`AuthError::CredentialsRejected`]: callers get it at once, the core
    /// retries on the slow schedule. (A 400 without the spec's error body,
    /// such as a proxy's HTML page, is transient.)
    #[error(
        "revault-api rejected the authentication request (HTTP 400){}",
        ServerMessage::suffix(server)
    )]
    InvalidRequest {
        /// What the server said.
        server: Option<ServerMessage>,
    },
    /// `/auth/token/refresh` answered 400, 401 or 403. Not terminal: the core
    /// re-authenticates with the API key once.
    #[error(
        "refresh token rejected (HTTP {status}){}",
        ServerMessage::suffix(server)
    )]
    RefreshRejected {
        /// 400, 401 or 403.
        status: u16,
        /// What the server said.
        server: Option<ServerMessage>,
    },
    /// A 5xx answer. Transient.
    #[error(
        "revault-api server error (HTTP {status}){}",
        ServerMessage::suffix(server)
    )]
    Server {
        /// The status.
        status: u16,
        /// What the server said.
        server: Option<ServerMessage>,
    },
    /// 420 or 429 (or 503 with `Retry-After`). Transient.
    #[error("rate limited by revault-api (HTTP {status})")]
    RateLimited {
        /// 420, 429 or 503.
        status: u16,
    },
    /// revault-api answered 404: the API URL is most likely wrong (a missing
    /// `/v1/rest`, another service). Like
    /// [`AuthError::CredentialsRejected`]: callers get it at once, the core
    /// retries on the slow schedule.
    #[error("revault-api answered HTTP {status}: check the API URL")]
    Misconfigured {
        /// 404.
        status: u16,
    },
    /// A status the API does not document for these operations (1xx, 204,
    /// 3xx, a 400 without the spec's error body, ...). Transient: redirects
    /// are never followed.
    #[error("unexpected HTTP status {status} from revault-api")]
    UnexpectedStatus {
        /// The status.
        status: u16,
    },
    /// A 200 whose body is not a valid token pair. Transient.
    #[error("invalid token response: {0}")]
    InvalidResponse(#[from] InvalidResponse),
    /// revault-api rejected token after token as soon as each was issued
    /// (reported with `handle_rejected`): the core slows down instead of
    /// fetching a new token per failing call. Transient.
    #[error("revault-api rejected {in_a_row} tokens in a row")]
    TokensRejected {
        /// Consecutive tokens rejected before reaching their refresh point.
        in_a_row: u32,
    },
    /// The core's own request deadline passed with no answer. Transient.
    #[error("no answer from revault-api within the request timeout")]
    Timeout,
    /// The driver reported a transport failure. Transient.
    #[error("transport error: {0}")]
    Transport(TransportErrorKind),
}

/// What kind of failure an [`AuthError`] is: what a caller branches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The API key was rejected: callers fail at once, the core retries
    /// slowly.
    CredentialsRejected,
    /// The request was malformed: callers fail at once, the core retries
    /// slowly.
    InvalidRequest,
    /// The API URL looks wrong (404): callers fail at once, the core retries
    /// slowly.
    Misconfigured,
    /// Rate limited: the core waits as long as the server asks (capped).
    RateLimited,
    /// The server answered something we cannot use.
    InvalidResponse,
    /// Network trouble, timeouts, 5xx: retried with backoff.
    Transient,
}

impl AuthError {
    /// The class of this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::CredentialsRejected { .. } => ErrorClass::CredentialsRejected,
            Self::InvalidRequest { .. } => ErrorClass::InvalidRequest,
            Self::Misconfigured { .. } => ErrorClass::Misconfigured,
            Self::RateLimited { .. } => ErrorClass::RateLimited,
            Self::InvalidResponse(_) | Self::UnexpectedStatus { .. } => ErrorClass::InvalidResponse,
            Self::RefreshRejected { .. }
            | Self::Server { .. }
            | Self::Timeout
            | Self::TokensRejected { .. } => ErrorClass::Transient,
            Self::Transport(_) => ErrorClass::Transient,
        }
    }

    /// True for the refusals callers get at once instead of waiting
    /// (credentials rejected, invalid request, misconfiguration). The core
    /// does not give up on them for good: it tries again on its slow
    /// schedule, and at once after [`crate::AuthCore::update_api_key`].
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.class(),
            ErrorClass::CredentialsRejected
                | ErrorClass::InvalidRequest
                | ErrorClass::Misconfigured
        )
    }

    /// The server's message and code, when it sent one.
    pub fn server_message(&self) -> Option<&ServerMessage> {
        match self {
            Self::CredentialsRejected { server, .. }
            | Self::InvalidRequest { server }
            | Self::RefreshRejected { server, .. }
            | Self::Server { server, .. } => server.as_ref(),
            _ => None,
        }
    }
}

/// The `{message, code}` of a revault-api error body, trimmed to a sane
/// length, stripped of control characters and scrubbed of known secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerMessage {
    /// The server's `message`.
    pub message: String,
    /// The server's `code`.
    pub code: String,
}

impl ServerMessage {
    fn suffix(server: &Option<ServerMessage>) -> String {
        server
            .as_ref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    }
}

impl fmt::Display for ServerMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

/// What was wrong with a 200 answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidResponse {
    /// The body was larger than the configured cap.
    #[error("body larger than {limit} bytes")]
    BodyTooLarge {
        /// The cap.
        limit: usize,
    },
    /// The body is not JSON, or is cut short.
    #[error("body is not valid JSON")]
    NotJson,
    /// A required field is absent.
    #[error("field `{0}` is missing")]
    MissingField(&'static str),
    /// A field appears twice.
    #[error("field `{0}` appears more than once")]
    DuplicateField(&'static str),
    /// JSON of the wrong shape (a string where a number belongs, ...). The
    /// offending value is deliberately not kept: it may be a token.
    #[error("body has the wrong shape")]
    WrongShape,
    /// A token is empty, too long, or holds characters a header cannot carry.
    #[error("field `{0}` is not a usable token")]
    BadToken(&'static str),
    /// A lifetime is negative, zero, not finite, or absurdly short or long.
    #[error("field `{0}` is not a usable lifetime")]
    BadLifetime(&'static str),
}

/// How a driver's HTTP exchange failed, reported with
/// [`crate::AuthCore::handle_transport_error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[cfg_attr(feature = "testing", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// DNS, TCP or TLS connection failure.
    #[error("could not connect")]
    Connect,
    /// The driver's own timeout fired.
    #[error("timed out")]
    Timeout,
    /// The connection broke while sending or receiving.
    #[error("connection broken")]
    Io,
    /// The body exceeded the driver's cap while being read.
    #[error("response body too large")]
    BodyTooLarge,
    /// Anything else the HTTP client reported.
    #[error("HTTP client error")]
    Other,
}

/// A configuration that cannot work, found before any traffic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL does not parse as an absolute `http(s)://host/path` URL,
    /// or has a query, a fragment, user information or a port outside
    /// 1..=65535. The text never holds the user information and shows at
    /// most [`crate::SHOWN_CHARS`] characters of the URL.
    #[error("invalid API URL: {0}")]
    InvalidUrl(String),
    /// `http://` to a host that is not loopback: credentials would cross the
    /// network in clear.
    #[error("refusing plain http:// to non-loopback host {host}: use https://")]
    InsecureUrl {
        /// The host.
        host: String,
    },
    /// A required setting is empty or missing.
    #[error("{0} is missing or empty")]
    Missing(&'static str),
    /// A setting holds characters that cannot be sent.
    #[error("{0} contains control characters")]
    ControlCharacters(&'static str),
    /// A policy value is out of range.
    #[error("invalid policy: {0}")]
    InvalidPolicy(&'static str),
    /// Two settings that exclude each other are both set.
    #[error("{0} and {1} are both set: set only one")]
    Conflicting(&'static str, &'static str),
    /// A setting is not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUnicode(&'static str),
    /// The file holding the API key secret cannot be used; the text names
    /// the file and why, never what it holds.
    #[error("{0}")]
    SecretFile(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_includes_server_message_and_code() {
        let error = AuthError::CredentialsRejected {
            status: 401,
            server: Some(ServerMessage {
                message: "Invalid API key".into(),
                code: "UNAUTHORIZED".into(),
            }),
        };
        assert_eq!(
            error.to_string(),
            "credentials rejected by revault-api (HTTP 401): Invalid API key (code UNAUTHORIZED)"
        );
        assert!(error.is_terminal());
        assert_eq!(error.class(), ErrorClass::CredentialsRejected);
    }

    #[test]
    fn transient_classes_are_not_terminal() {
        for error in [
            AuthError::Timeout,
            AuthError::Server {
                status: 502,
                server: None,
            },
            AuthError::Transport(TransportErrorKind::Io),
            AuthError::InvalidResponse(InvalidResponse::NotJson),
            AuthError::RateLimited { status: 420 },
        ] {
            assert!(!error.is_terminal(), "{error:?}");
        }
    }
}

/// What a driver's `token()` can fail with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The configuration cannot work; nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The core refused to wait (credentials rejected, invalid request,
    /// misconfiguration); it keeps trying on its slow schedule.
    #[error(transparent)]
    Failed(AuthError),
    /// No valid token arrived within the caller's wait; the core keeps
    /// trying in the background.
    #[error("no valid token within {waited:?}{}", last_error.as_ref().map(|e| format!(" (last error: {e})")).unwrap_or_default())]
    TimedOut {
        /// How long the caller waited.
        waited: Duration,
        /// The most recent transient failure, if any.
        last_error: Option<AuthError>,
        /// When that failure was the transport's: what the HTTP client
        /// said (such as "invalid peer certificate: UnknownIssuer"),
        /// sanitised. Also this error's `source()`.
        #[source]
        cause: Option<TransportCause>,
    },
    /// The HTTP client could not be built (for reqwest: no TLS backend, an
    /// unreadable certificate store, ...); nothing was sent.
    #[error("could not build the HTTP client")]
    HttpClient(#[source] TransportCause),
    /// The manager was shut down.
    #[error("the token manager was shut down")]
    Closed,
    /// The driver needs an async runtime and none is running on this thread
    /// (for tokio: create the manager inside `Runtime::block_on` or a task).
    #[error("no async runtime is running here: create the token manager from inside one")]
    NoRuntime,
}
