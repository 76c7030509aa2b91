//! # revault-auth-middleware
//!
//! Puts a valid revault-api JWT on the requests an HTTP client sends to
//! revault-api, from any token manager (tokio, async-std/smol or ureq: each
//! implements [`TokenSource`]), and handles 401s without letting one route
//! stall the others:
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
//! // REVAULT_API_URL=https://revault.example/v1/rest, ...
//! let manager = TokenManager::from_env()?; // a cheap `Clone` handle
//!
//! // reqwest
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(AuthMiddleware::new(manager.clone()))
//!     .build();
//! let accounts = client.get("https://revault.example/v1/rest/accounts").send().await?;
//! // Another host through the same client: sent without the token.
//! let elsewhere = client.get("https://example.org/status").send().await?;
//!
//! // tower: any service over `http::Request<B>` (hyper-util, tonic, ...)
//! let hyper = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
//! let service = AuthLayer::new(manager).layer(hyper);
//! let request = http::Request::get("https://revault.example/v1/rest/accounts")
//!     .body(Empty::new())?;
//! let accounts = service.oneshot(request).await?;
//! # Ok(()) }
//! ```
//!
//! The blocking ureq manager works too: its `TokenSource::token_owned`
//! never blocks the executor (when it must wait or refresh, it does so on a
//! thread of its own).
//!
//! ## Where the token goes
//! Only to the API's origin: the scheme, host and port of the manager's
//! configured URL. A request for any other origin through the same client
//! goes out as it is, without the token and without the 401 handling. Widen
//! it with `allow_origin(Origin::parse("https://other.example")?)`, or
//! `any_origin()` for a client that talks to revault-api alone. reqwest
//! drops `Authorization` when it follows a redirect to another host;
//! hyper-util's client does not follow redirects; a redirect-following layer
//! put *outside* [`AuthLayer`] would send the token to wherever the redirect
//! points.
//!
//! ## What both do
//! 1. Wait for a token (at once when one is published) and set
//!    `Authorization` to its prebuilt `Bearer` header value, marked
//!    sensitive; nothing is formatted per request. An `Authorization` header
//!    already on the request is replaced.
//! 2. Send the request. Any answer other than 401 is returned as it is.
//! 3. On a 401, apply the [`UnauthorizedPolicy`] (shared by every service
//!    one layer or middleware makes):
//!    - `WWW-Authenticate: Bearer error="invalid_token"`: the token's fault.
//!      It is withdrawn ([`TokenSource::invalidate`]; any number of
//!      concurrent reports of one token cause one token request) and the
//!      request is sent once more with a new token, if it can be (below).
//!    - a `Bearer` challenge with another error (`insufficient_scope`, ...):
//!      not the token's fault; returned, nothing withdrawn.
//!    - no such challenge: taken for the token's fault, once. If the retry,
//!      made with a token obtained after the report, gets a 401 too, the
//!      token was not the problem: that 401 is returned and the new token is
//!      *vouched for* during a cool-down (30 s by default, `cool_down(..)`):
//!      401s to it are returned as they are, withdrawing nothing.
//!
//!    So a route that answers 401 to every token (a permission the API key
//!    lacks) costs one new token per cool-down, and callers of other routes
//!    never wait because of it. There is never more than one retry.
//!
//! The 401's body is dropped unread when the request is retried. The same
//! policy is public ([`UnauthorizedPolicy`]) for clients that call the API
//! without this crate: call `first` on a 401, `retry` on the retry's 401.
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
//! | `revault_auth_unauthorized_total` | counter | `outcome`: `retried`, `not_replayable`, `returned` (not the token's fault: nothing withdrawn), `retry_rejected` (the retry's own 401) | a 401 seen by the layer or the middleware |
//!
//! `class` is the [`ErrorClass`](revault_auth_core::ErrorClass):
//! `credentials_rejected`, `invalid_request`, `rate_limited`,
//! `invalid_response`, `transient`. `error` is the
//! [`AuthError`](revault_auth_core::AuthError) variant:
//! `credentials_rejected`, `invalid_request`, `refresh_rejected`, `server`,
//! `rate_limited`, `unexpected_status`, `invalid_response`, `timeout`,
//! `transport`. Values the library adds later are reported as `other`.
//!
//! [`Event::Reauthenticated`]: revault_auth_core::Event::Reauthenticated
//! [`Event::RetryScheduled`]: revault_auth_core::Event::RetryScheduled
//! [`Event::RateLimited`]: revault_auth_core::Event::RateLimited
//! [`Event::Expired`]: revault_auth_core::Event::Expired
//! [`Event::Failed`]: revault_auth_core::Event::Failed

use std::sync::Arc;

use http::HeaderMap;
use revault_auth_core::AccessToken;

#[cfg(feature = "metrics")]
pub mod metrics;
mod reqwest_mw;
mod scope;
mod tower;
mod unauthorized;

pub use crate::reqwest_mw::AuthMiddleware;
pub use crate::scope::Origin;
pub use crate::tower::{
    AuthLayer, AuthService, AuthServiceError, BufferedBodies, CloneBodies, NoRetry, ReplayPolicy,
    ResponseFuture,
};
pub use crate::unauthorized::{Challenge, DEFAULT_COOL_DOWN, UnauthorizedPolicy, Verdict};
/// Re-exported so that users name the version this crate implements.
pub use reqwest_middleware;
pub use revault_auth_core::{Event, TokenError};
pub use revault_auth_shared::TokenSource;

use crate::scope::Scope;

/// What happened after a 401, for the `revault_auth_unauthorized_total`
/// counter.
#[derive(Clone, Copy, Debug)]
enum Unauthorized {
    /// The token was withdrawn and the request is sent again.
    Retried,
    /// The token was withdrawn; the request cannot be sent again.
    NotReplayable,
    /// Not the token's fault (a vouched-for token, another `Bearer` error):
    /// returned as it is, nothing withdrawn.
    Returned,
    /// The retry, made with a new token, got a 401 too.
    RetryRejected,
}

fn count(outcome: Unauthorized) {
    #[cfg(feature = "metrics")]
    crate::metrics::unauthorized(match outcome {
        Unauthorized::Retried => "retried",
        Unauthorized::NotReplayable => "not_replayable",
        Unauthorized::Returned => "returned",
        Unauthorized::RetryRejected => "retry_rejected",
    });
    #[cfg(not(feature = "metrics"))]
    let _ = outcome;
}

/// What the layer and the middleware share: the token source, where the
/// token may go, and the 401 policy.
#[derive(Debug)]
struct Guard<S> {
    source: S,
    scope: Scope,
    policy: UnauthorizedPolicy,
}

impl<S: TokenSource> Guard<S> {
    fn new(source: S) -> Self {
        Self {
            scope: Scope::api(source.api()),
            source,
            policy: UnauthorizedPolicy::default(),
        }
    }

    /// Changes a guard not yet shared (builder methods), or a copy of it.
    fn adjust(guard: &mut Arc<Self>, change: impl FnOnce(&mut Self))
    where
        S: Clone,
    {
        if let Some(unshared) = Arc::get_mut(guard) {
            return change(unshared);
        }
        let mut copy = Self {
            source: guard.source.clone(),
            scope: guard.scope.clone(),
            policy: UnauthorizedPolicy::new(guard.policy.cool_down()),
        };
        change(&mut copy);
        *guard = Arc::new(copy);
    }

    /// A first attempt made with `token` got a 401: whether to send it
    /// again (when it can be) with a new token.
    fn first_rejected(&self, token: &AccessToken, headers: &HeaderMap, replayable: bool) -> bool {
        match self.policy.first(token, headers) {
            Verdict::WithdrawAndRetry => {
                self.source.invalidate(token);
                count(match replayable {
                    true => Unauthorized::Retried,
                    false => Unauthorized::NotReplayable,
                });
                replayable
            }
            Verdict::Return => {
                count(Unauthorized::Returned);
                false
            }
        }
    }

    /// The retry, made with `fresh`, got a 401 too.
    fn retry_rejected(&self, fresh: &AccessToken, headers: &HeaderMap) {
        count(Unauthorized::RetryRejected);
        if self.policy.retry(fresh, headers) == Verdict::WithdrawAndRetry {
            self.source.invalidate(fresh);
        }
    }

    /// The token for a retry: a newer one than `used` (a reported
    /// generation is never served again), or `None` should it be the same.
    async fn fresh_token(
        &self,
        used: &AccessToken,
    ) -> Result<Option<Arc<AccessToken>>, TokenError> {
        let fresh = self.source.token_owned().await?;
        Ok((fresh.generation() != used.generation()).then_some(fresh))
    }
}
