//! Configuration of the emulator.

use std::fmt;
use std::time::Duration;

/// Configuration of a [`MockServer`](crate::MockServer) or [`MockState`](crate::MockState).
///
/// The emulator knows exactly one API key (`api_key_id` / `api_key_secret`) that belongs to
/// exactly one workspace (`workspace`). Fields are public so that tests can use struct update
/// syntax:
///
/// ```
/// use std::time::Duration;
/// use revault_auth_mock::MockConfig;
///
/// let cfg = MockConfig {
///     access_ttl: Duration::from_secs_f64(2.0),
///     refresh_ttl: Duration::from_millis(500),
///     ..MockConfig::default()
/// };
/// assert_eq!(cfg.workspace, "demo-workspace");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Lifetime of access tokens (`expiresInSeconds`). Fractional seconds are honoured.
    pub access_ttl: Duration,
    /// Lifetime of refresh tokens (`refreshExpiresInSeconds`). Fractional seconds are honoured.
    pub refresh_ttl: Duration,
    /// The workspace the API key belongs to.
    pub workspace: String,
    /// The API key id accepted by `POST /auth/token`.
    pub api_key_id: String,
    /// The API key secret accepted by `POST /auth/token`.
    pub api_key_secret: String,
    /// Port to bind on 127.0.0.1; `0` picks any free port.
    pub port: u16,
    /// The longest a client may take to send a request's head, and then
    /// again its body: a half-sent request is dropped after this (the
    /// connection closed; a stalled body answers 408), so a client that
    /// stops mid-request cannot keep a connection and a task forever.
    pub request_read_timeout: Duration,
}

impl MockConfig {
    /// Default workspace name.
    pub const DEFAULT_WORKSPACE: &'static str = "demo-workspace";
    /// Default API key id.
    pub const DEFAULT_API_KEY_ID: &'static str = "demo-key-id";
    /// Default API key secret.
    pub const DEFAULT_API_KEY_SECRET: &'static str = "demo-key-secret-0123456789abcdef";
    /// Default access token lifetime (300 s).
    pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(300);
    /// Default refresh token lifetime (1800 s).
    pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(1800);
    /// Default [`request_read_timeout`](Self::request_read_timeout) (10 s).
    pub const DEFAULT_REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);

    /// Checks that a client could use this configuration: the workspace, API
    /// key id and secret are non-empty and free of control characters (the
    /// client refuses to send such values, so an emulator accepting them
    /// could never be authenticated against), and the read timeout is
    /// positive. The error names the field, never its value.
    pub fn validate(&self) -> Result<(), InvalidMockConfig> {
        for (field, value) in [
            ("workspace", &self.workspace),
            ("api_key_id", &self.api_key_id),
            ("api_key_secret", &self.api_key_secret),
        ] {
            if value.trim().is_empty() {
                return Err(InvalidMockConfig {
                    field,
                    why: "is empty",
                });
            }
            if value.chars().any(char::is_control) {
                return Err(InvalidMockConfig {
                    field,
                    why: "contains control characters",
                });
            }
        }
        if self.request_read_timeout.is_zero() {
            return Err(InvalidMockConfig {
                field: "request_read_timeout",
                why: "is zero",
            });
        }
        Ok(())
    }

    /// Returns this configuration with the given token lifetimes.
    #[must_use]
    pub fn with_ttls(mut self, access_ttl: Duration, refresh_ttl: Duration) -> Self {
        self.access_ttl = access_ttl;
        self.refresh_ttl = refresh_ttl;
        self
    }

    /// Returns this configuration with the given port (`0` = any).
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            access_ttl: Self::DEFAULT_ACCESS_TTL,
            refresh_ttl: Self::DEFAULT_REFRESH_TTL,
            workspace: Self::DEFAULT_WORKSPACE.to_owned(),
            api_key_id: Self::DEFAULT_API_KEY_ID.to_owned(),
            api_key_secret: Self::DEFAULT_API_KEY_SECRET.to_owned(),
            port: 0,
            request_read_timeout: Self::DEFAULT_REQUEST_READ_TIMEOUT,
        }
    }
}

/// Why [`MockConfig::validate`] refused a configuration. Names the field,
/// never its value (the value may be a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidMockConfig {
    /// The `MockConfig` field at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub why: &'static str,
}

impl fmt::Display for InvalidMockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "emulator configuration: {} {}", self.field, self.why)
    }
}

impl std::error::Error for InvalidMockConfig {}

impl From<InvalidMockConfig> for std::io::Error {
    fn from(error: InvalidMockConfig) -> Self {
        Self::new(std::io::ErrorKind::InvalidInput, error)
    }
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockConfig")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("workspace", &self.workspace)
            .field("api_key_id", &self.api_key_id)
            .field("api_key_secret", &"<redacted>")
            .field("port", &self.port)
            .field("request_read_timeout", &self.request_read_timeout)
            .finish()
    }
}
