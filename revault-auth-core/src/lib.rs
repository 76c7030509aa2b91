//! # revault-auth-core
//!
//! A sans-IO state machine that keeps a valid JWT for revault-api (the Ledger
//! Enterprise API) at hand. It decides *when* to authenticate or refresh and
//! *what* to send, and reads the answers; it never performs IO, reads a
//! clock, spawns, sleeps or draws global randomness. Drivers for tokio,
//! async-std/smol and blocking ureq live in sibling crates.
//!
//! ## In scope
//! - Building `POST {base}/auth/token` and `POST {base}/auth/token/refresh`
//!   as [`http::Request`]s, and reading their answers.
//! - Refreshing ahead of expiry in proportion to the token's lifetime, with
//!   seeded jitter and a safety floor: a token is never handed out in its
//!   last moments.
//! - Tracking the refresh token's own lifetime; re-authenticating with the
//!   API key when it will not do, or when the server rejects it.
//! - Single flight: one request at a time; a refresh token is sent once.
//! - Retries: capped exponential backoff with jitter for transient failures,
//!   `Retry-After` for 420/429/503, the core's own request timeout.
//! - Invalidation by token generation when revault-api answers 401.
//! - Clock trouble: time stepping back, jumping forward, suspend.
//! - Secrets that are redacted in `Debug`, have no `Display`, and are
//!   zeroized on drop.
//!
//! ## Out of scope
//! - Sockets, TLS, HTTP/1.1 framing, connection pools, redirects (drivers
//!   must not follow them), reading bodies (drivers cap them).
//! - Clocks and timers: the driver passes `now` in and sleeps until
//!   [`AuthCore::poll_timeout`].
//! - Sharing the token between threads (drivers publish it, for example
//!   through an `ArcSwap`).
//!
//! ## The four kinds of method on [`AuthCore`]
//! - **Getters** (`&self`, any time): [`access_token`](AuthCore::access_token),
//!   [`phase`](AuthCore::phase), [`failure`](AuthCore::failure),
//!   [`in_flight`](AuthCore::in_flight).
//! - **Inputs** (`handle_*`): [`handle_response`](AuthCore::handle_response),
//!   [`handle_transport_error`](AuthCore::handle_transport_error),
//!   [`handle_timeout`](AuthCore::handle_timeout),
//!   [`handle_rejected`](AuthCore::handle_rejected) (revault-api answered 401
//!   to token generation G), [`handle_wall_clock`](AuthCore::handle_wall_clock).
//! - **Commands**: [`start`](AuthCore::start),
//!   [`update_api_key`](AuthCore::update_api_key), [`close`](AuthCore::close).
//! - **Outputs** (`poll_*`): [`poll_transmit`](AuthCore::poll_transmit),
//!   [`poll_event`](AuthCore::poll_event), [`poll_timeout`](AuthCore::poll_timeout).
//!
//! ## Drain order
//! After any input or command, drain the outputs in this order:
//! 1. `poll_transmit` until `None`: send each request;
//! 2. `poll_event` until `None`: publish the token on `Authenticated`,
//!    `Refreshed` or `Reauthenticated`, withdraw it on `Expired`;
//! 3. `poll_timeout`: sleep until that instant or until an answer arrives,
//!    whichever is first, then call `handle_timeout` or `handle_response`.
//!
//! Only the last step is order-sensitive: `poll_timeout` must come after
//! `poll_transmit`, because sending arms the request deadline.
//!
//! ## Timers
//! | timer | armed | fires |
//! |---|---|---|
//! | request timeout | a request is sent | no answer in `request_timeout`: backoff |
//! | retry | a transient failure or `Retry-After` | the next request may go |
//! | refresh | a token arrives | at ~75–80 % of its lifetime: refresh |
//! | expiry | a token arrives | at the safety floor: the token is withdrawn |
//!
//! ## A complete drive loop
//! This one talks to the in-memory [`testing::ScriptedServer`] instead of
//! a network, with a virtual clock; a real driver swaps in its HTTP client
//! and timer.
//!
//! ```
//! use std::time::{Duration, Instant, SystemTime};
//! use revault_auth_core::{ApiKeySecret, AuthCore, Config, Event};
//! use revault_auth_core::testing::{Answer, ScriptedServer};
//!
//! let config = Config::builder(
//!     "https://revault.example/v1/rest",
//!     "my-workspace",
//!     "my-key-id",
//!     ApiKeySecret::new("my-key-secret"),
//! )
//! .build()?;
//! let mut server = ScriptedServer::for_config(&config);
//! let start = Instant::now(); // the only clock read, in the driver
//! let start_wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
//! let mut now = start;
//! let mut core = AuthCore::new(config, now);
//! core.start(now);
//!
//! let mut refreshed = false;
//! while !refreshed {
//!     // 1. Send what is due (here: answer it in memory straight away).
//!     while let Some(transmit) = core.poll_transmit(now) {
//!         let (id, request) = (transmit.id, transmit.into_request());
//!         match server.answer(&request, start_wall + (now - start)) {
//!             Answer::Response(response) => { core.handle_response(id, response, now); }
//!             Answer::TransportError(kind) => { core.handle_transport_error(id, kind, now); }
//!             Answer::Silence => {}
//!         }
//!     }
//!     // 2. Publish or withdraw the token.
//!     while let Some(event) = core.poll_event() {
//!         match event {
//!             Event::Authenticated { generation, .. } => println!("token {generation:?} ready"),
//!             Event::Refreshed { .. } => refreshed = true,
//!             other => println!("{other:?}"),
//!         }
//!     }
//!     assert!(core.access_token(now).is_some());
//!     // 3. Sleep until the next deadline (virtually), then tell the core.
//!     now = core.poll_timeout().expect("a refresh is always scheduled");
//!     core.handle_timeout(now);
//! }
//! # Ok::<(), revault_auth_core::ConfigError>(())
//! ```
//!
//! With the `testing` feature, [`testing::Harness`] runs this loop for you
//! against a scripted server, so your own code can be unit-tested with no
//! network and no waiting.

#![cfg_attr(
    not(any(test, feature = "testing")),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod backoff;
mod config;
mod core;
mod error;
mod event;
mod publish;
mod request;
mod response;
mod saved;
mod scrub;
mod secret;
mod state;
mod timebase;
mod timer;
mod transport;

#[cfg(feature = "testing")]
pub mod testing;

pub use crate::config::{
    Config, ConfigBuilder, DEFAULT_MAX_BODY, ENV_API_KEY_ID, ENV_API_KEY_SECRET, ENV_API_URL,
    ENV_WORKSPACE, Policy, is_loopback,
};
pub use crate::core::{AuthCore, Phase};
pub use crate::error::{
    AuthError, ConfigError, ErrorClass, InvalidResponse, ServerMessage, TokenError,
    TransportErrorKind,
};
pub use crate::event::{Event, ExpiryCause, ReauthReason};
pub use crate::publish::{PublishedToken, slept_between};
pub use crate::request::{Purpose, RequestId, Transmit};
pub use crate::response::{Grant, parse_grant};
pub use crate::saved::{SAVED_FORMAT, SavedTokens};
pub use crate::scrub::{MAX_SERVER_TEXT_CHARS, scrub_server_text};
pub use crate::secret::{
    AccessToken, AccessTokenSecret, ApiKeySecret, RefreshToken, TokenGeneration,
};
pub use crate::transport::{AsyncTransport, BlockingTransport, Limits};

/// Re-exported so drivers and users name one `http` version.
pub use http;
