//! # revault-auth-middleware
//!
//! Puts a valid revault-api JWT on every request of an HTTP client, from a
//! [`revault_auth_tokio::TokenManager`], and recovers from a revoked token:
//!
//! - [`AuthLayer`], a tower [`Layer`](tower_layer::Layer) for any
//!   `Service<http::Request<B>, Response = http::Response<R>>`: hyper-util's
//!   legacy `Client`, a tonic `Channel`, your own `service_fn`.
//! - [`AuthMiddleware`], a [`reqwest_middleware::Middleware`] for reqwest.
//! - With the `metrics` feature, `metrics::record` and
//!   `metrics::record_events` turn the manager's [`Event`]s into `metrics`
//!   facade counters and histograms.
//!
//! ```no_run
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use http_body_util::Empty;
//! use hyper_util::client::legacy::Client;
//! use hyper_util::rt::TokioExecutor;
//! use revault_auth_middleware::{AuthLayer, AuthMiddleware, reqwest_middleware};
//! use revault_auth_tokio::TokenManager;
//! use tower::{Layer, ServiceExt};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let manager = Arc::new(TokenManager::from_env()?);
//!
//! // reqwest
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(AuthMiddleware::new(Arc::clone(&manager)))
//!     .build();
//! let accounts = client.get("https://revault.example/v1/rest/accounts").send().await?;
//!
//! // tower: any service over `http::Request<B>` (hyper-util, tonic, ...)
//! let hyper = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
//! let service = AuthLayer::new(manager).layer(hyper);
//! let request = http::Request::get("http://127.0.0.1:8080/v1/rest/accounts")
//!     .body(Empty::new())?;
//! let accounts = service.oneshot(request).await?;
//! # Ok(()) }
//! ```
//!
//! ## What both do
//! 1. Wait for a token ([`TokenManager::token`](revault_auth_tokio::TokenManager::token):
//!    at once when one is cached) and set `Authorization` to its prebuilt
//!    `Bearer` header value, marked sensitive; nothing is formatted per
//!    request. An `Authorization` header already on the request is replaced.
//! 2. Send the request. Any answer other than 401 is returned as it is.
//! 3. On a 401, report the token with
//!    [`TokenManager::invalidate`](revault_auth_tokio::TokenManager::invalidate).
//!    The report is by token generation, so any number of concurrent 401s
//!    for one token cause a single new token request.
//! 4. If the request can be sent again (below), wait for the new token and
//!    send it once more, returning whatever that second answer is. A second
//!    401 is reported too (so the next request gets yet another token) and
//!    returned: there is no loop. If the request cannot be sent again, the
//!    401 is returned.
//!
//! The 401's body is dropped unread when the request is retried.
//!
//! ## Which requests are retried
//! - **reqwest**: those for which [`reqwest::Request::try_clone`] succeeds,
//!   that is every request except one with a streaming body.
//! - **tower**: decided by the layer's [`ReplayPolicy`], from the body's
//!   type. The default, [`BufferedBodies`], retries requests whose body is
//!   [`Full`](http_body_util::Full), [`Empty`](http_body_util::Empty),
//!   [`String`], `Vec<u8>`, [`Bytes`](bytes::Bytes), `&'static str`,
//!   `&'static [u8]`, or an [`Either`](http_body_util::Either) of those; it
//!   accepts but never retries [`BoxBody`](http_body_util::combinators::BoxBody),
//!   [`UnsyncBoxBody`](http_body_util::combinators::UnsyncBoxBody) and
//!   [`hyper::body::Incoming`] (a proxied request). [`CloneBodies`] retries
//!   any body type that is `Clone`; [`NoRetry`] never retries and accepts
//!   any body type (a tonic `Channel`'s, say: gRPC reports authentication
//!   failures in `grpc-status`, not with a 401, anyway). For other body
//!   types, implement [`ReplayPolicy`] on a type of your own. A request to
//!   be retried is copied before it is sent: its method, URI, headers and
//!   extensions, and its body through the policy (a reference-count
//!   increment for `Full<Bytes>` and `Bytes`, a copy of the bytes for
//!   `String` and `Vec<u8>`).
//!
//! ## Errors
//! The tower service fails with [`AuthServiceError::Token`] when no token
//! can be had (the API key was rejected, the wait timed out, the manager
//! was shut down), before anything is sent, or when the token for a retry
//! cannot be had; the inner service's own errors come as
//! [`AuthServiceError::Inner`]. `AuthServiceError<E>` is an
//! [`Error`](std::error::Error) (so converts into tower's and tonic's
//! `BoxError`) when `E` is one; when `E` is a `BoxError` already (tower's
//! `Buffer`, a `service_fn`), put
//! `.map_err(AuthServiceError::into_box_error)` outside the layer. The
//! reqwest middleware returns the
//! [`TokenError`] inside [`reqwest_middleware::Error::Middleware`]: get it
//! back with `error.downcast_ref::<TokenError>()` on the `anyhow::Error`.
//! None of these carries a secret.
//!
//! ## Where the token goes
//! Every request through the layer or the middleware carries the token: use
//! them on a client that talks to revault-api only. reqwest drops
//! `Authorization` when it follows a redirect to another host; hyper-util's
//! client does not follow redirects; a redirect-following layer put *outside*
//! [`AuthLayer`] would send the token to wherever the redirect points.
//!
//! ## Requirements of the tower service
//! The inner service must be `Clone + Send + 'static` with a `Send` future
//! (the usual tower pattern: the service that `poll_ready` found ready is
//! moved into the call, a clone is kept for the next one); the body must be
//! `Send + 'static`. The response future is boxed.
//!
//! ## Metrics (feature `metrics`)
//! Call `metrics::describe` once after installing a recorder, then spawn
//! `metrics::record_events(manager.subscribe())` **before** the first
//! request, so that the first token is counted. No metric carries a
//! secret, a token generation or any other unbounded label value. The
//! events say nothing of how long a token request took or how much of the
//! old token's life was left at a refresh, so neither is measured.
//!
//! | name | type | labels | from |
//! |---|---|---|---|
//! | `revault_auth_tokens_total` | counter | `kind`: `authenticated`, `refreshed`, `reauthenticated` | a new token |
//! | `revault_auth_reauthentications_total` | counter | `reason`: `refresh_rejected`, `refresh_token_expiring`, `refresh_token_spent`, `api_key_updated` | [`Event::Reauthenticated`] |
//! | `revault_auth_token_lifetime_seconds` | histogram | | the new access token's stated lifetime |
//! | `revault_auth_refresh_token_lifetime_seconds` | histogram | | the new refresh token's stated lifetime |
//! | `revault_auth_retries_total` | counter | `class`, `error` (below) | [`Event::RetryScheduled`] |
//! | `revault_auth_retry_delay_seconds` | histogram | | the backoff before that retry |
//! | `revault_auth_rate_limited_total` | counter | `status`: `420`, `429`, `503` | [`Event::RateLimited`] |
//! | `revault_auth_rate_limit_delay_seconds` | histogram | | the wait the server asked for (capped) |
//! | `revault_auth_request_duration_seconds` | histogram | `endpoint` (`token`, `refresh`), `outcome` (`ok`, `error_status`, `no_answer`) | token request latency |
//! | `revault_auth_time_left_at_refresh_seconds` | histogram | | how long the served token still had when its replacement was requested |
//! | `revault_auth_expired_total` | counter | `cause`: `lifetime`, `rejected`, `suspended` | [`Event::Expired`] |
//! | `revault_auth_failures_total` | counter | `class`, `error` | [`Event::Failed`] (terminal) |
//! | `revault_auth_events_lagged_total` | counter | | events a slow `metrics::record_events` lost |
//! | `revault_auth_unauthorized_total` | counter | `outcome`: `retried`, `not_replayable`, `retry_rejected` (the retry's own 401) | a 401 seen by the layer or the middleware |
//!
//! `class` is the [`ErrorClass`](revault_auth_core::ErrorClass):
//! `credentials_rejected`, `invalid_request`, `rate_limited`,
//! `invalid_response`, `transient`. `error` is the
//! [`AuthError`](revault_auth_core::AuthError) variant:
//! `credentials_rejected`, `invalid_request`, `refresh_rejected`, `server`,
//! `rate_limited`, `unexpected_status`, `invalid_response`, `timeout`,
//! `transport`. Values the library adds later are reported as `other`.
//!
//! [`Event::Reauthenticated`]: revault_auth_tokio::Event::Reauthenticated
//! [`Event::RetryScheduled`]: revault_auth_tokio::Event::RetryScheduled
//! [`Event::RateLimited`]: revault_auth_tokio::Event::RateLimited
//! [`Event::Expired`]: revault_auth_tokio::Event::Expired
//! [`Event::Failed`]: revault_auth_tokio::Event::Failed

use std::sync::Arc;

use revault_auth_tokio::{AccessToken, TokenManager};

#[cfg(feature = "metrics")]
pub mod metrics;
mod reqwest_mw;
mod tower;

pub use crate::reqwest_mw::AuthMiddleware;
pub use crate::tower::{
    AuthLayer, AuthService, AuthServiceError, BufferedBodies, CloneBodies, NoRetry, ReplayPolicy,
    ResponseFuture,
};
/// Re-exported so that users name the version this crate implements.
pub use reqwest_middleware;
pub use revault_auth_tokio::{Event, TokenError};

/// What happened after a 401, for the `revault_auth_unauthorized_total`
/// counter.
#[derive(Clone, Copy, Debug)]
enum Unauthorized {
    /// The request is sent again with a new token.
    Retried,
    /// The request cannot be sent again.
    NotReplayable,
    /// The retry got a 401 too.
    RetryRejected,
}

/// Reports a 401 to the token manager and counts it.
fn report_unauthorized(manager: &TokenManager, token: &AccessToken, outcome: Unauthorized) {
    manager.invalidate(token);
    #[cfg(feature = "metrics")]
    crate::metrics::unauthorized(match outcome {
        Unauthorized::Retried => "retried",
        Unauthorized::NotReplayable => "not_replayable",
        Unauthorized::RetryRejected => "retry_rejected",
    });
    #[cfg(not(feature = "metrics"))]
    let _ = outcome;
}

/// The token for a retry: a newer one than `used` (the manager never serves
/// a reported generation again), or `None` should it be the same.
async fn fresh_token(
    manager: &TokenManager,
    used: &AccessToken,
) -> Result<Option<Arc<AccessToken>>, TokenError> {
    let fresh = manager.token_owned().await?;
    Ok((fresh.generation() != used.generation()).then_some(fresh))
}
