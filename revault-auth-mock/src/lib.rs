//! An emulator of the Revault auth API (`revault-api` 1.56, tag `auth`), for tests.
//!
//! It serves, under the base path `/v1/rest`:
//!
//! - `POST /auth/token` — `{workspace, apiKeyId, apiKeySecret}` → 200
//!   `{accessToken, expiresInSeconds, refreshToken, refreshExpiresInSeconds}`; 400 for a body
//!   that is not a JSON object with those string fields (or not sent as `application/json`);
//!   401 for unknown credentials; 403 when the key does not belong to the workspace.
//! - `POST /auth/token/refresh` — `{workspace, refreshToken}` → 200, same shape. Refresh
//!   tokens are single use (rotated): a used, unknown or expired one answers 401.
//! - Any other path under `/v1/rest`, any method: a protected resource answering 200
//!   `{"ok": true, "path": ...}` for a valid, unexpired, unrevoked `Authorization: Bearer`
//!   access token, 401 otherwise.
//!
//! Every answer is JSON (`content-type: application/json`); errors follow the spec's error
//! schema (`message`, `code`, and `issues` for 400). Other methods on the auth endpoints
//! answer 405, paths outside the base 404.
//!
//! Tokens are HS256 JWTs signed with a random per-server key and carry `iat`, `exp`, `sub`
//! (the API key id), `ws` (the workspace), a unique `jti` and `typ` (`access`/`refresh`).
//!
//! Tests drive it through [`MockServer`]: fault injection ([`Fault`], one-shot or
//! persistent, per [`Target`]), revocation, a request log ([`LoggedRequest`], read entry by entry as outcomes
//! arrive with a [`LogCursor`]) and counters.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use revault_auth_mock::{Fault, MockConfig, MockServer, Target};
//!
//! let server = MockServer::start(MockConfig::default()).await?;
//! server.push_fault(Target::Token, Fault::status(503));
//! // ... point the client under test at server.base_url() ...
//! assert_eq!(server.token_requests(), 0);
//! # Ok(()) }
//! ```

mod config;
mod fault;
mod http;
mod log;
mod server;
mod spec;
mod state;
#[cfg(feature = "tls")]
mod tls;

pub use config::{InvalidMockConfig, MockConfig};
pub use fault::{Fault, Target};
pub use http::router;
pub use log::{LogCursor, LoggedRequest};
pub use server::{MockServer, serve, serve_with_shutdown};
pub use spec::{BASE_PATH, Endpoint};
pub use state::{IssuedTokens, LOG_CAPACITY, MockState, TokenClaims, TokenKind};
#[cfg(feature = "tls")]
pub use tls::UntrustedTls;
