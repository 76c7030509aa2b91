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
//!   last moments. The seed is an input ([`AuthCore::new_seeded`]: drivers
//!   pass one drawn from the operating system), so every manager of a
//!   fleet draws its own jitter and the core stays deterministic.
//! - Tracking the refresh token's own lifetime; re-authenticating with the
//!   API key when it will not do, or when the server rejects it.
//! - Single flight: one request at a time; a refresh token is sent once.
//! - Retries: capped exponential backoff with jitter for transient failures,
//!   `Retry-After` for 420/429/503 (never earlier, at most a fifth later),
//!   the core's own request timeout.
//! - Refusals (401/403 to the API key, a spec-shaped 400, a 404): callers
//!   are told at once ([`AuthCore::failure`]) while the core retries on a
//!   slow schedule (5 min doubling to 1 h by default, each wait stretched
//!   by up to a fifth) and at once after [`AuthCore::update_api_key`] or a
//!   [`restore`](AuthCore::restore)d session. Nothing is final but
//!   [`AuthCore::close`].
//! - Invalidation by token generation when revault-api answers 401.
//! - Clock trouble: stale readings, suspends (short ones add up), a wall
//!   clock stepping back.
//! - Secrets that are redacted in `Debug`, have no `Display`, and are
//!   zeroized on drop; server messages scrubbed of them before being cut
//!   ([`scrub_server_text`]).
//!
//! ## Out of scope
//! - Sockets, TLS, HTTP/1.1 framing, connection pools, redirects (drivers
//!   must not follow them), reading bodies (drivers cap them).
//! - Clocks and timers: the driver passes `now` in and sleeps until
//!   [`AuthCore::poll_timeout`].
//! - Sharing the token between threads (drivers publish it, for example
//!   through an `ArcSwap`).
//!
//! ## Time
//! Every `Instant` the core takes or hands out is on the driver's monotonic
//! clock, so readers compare `usable_until` with their own
//! `Instant::now()`. A `now` older than one already passed is a stale
//! reading and counts as the newest one. The wall clock, read together with
//! `now` ([`AuthCore::handle_clocks`] or
//! [`AuthCore::handle_wall_clock`]), only serves to notice that the machine
//! slept: every deadline then moves earlier by the time slept.
//!
//! ## The four kinds of method on [`AuthCore`]
//! - **Getters** (`&self`, any time): [`access_token`](AuthCore::access_token),
//!   [`phase`](AuthCore::phase), [`failure`](AuthCore::failure),
//!   [`last_error`](AuthCore::last_error), [`retry_at`](AuthCore::retry_at),
//!   [`in_flight`](AuthCore::in_flight).
//! - **Inputs** (`handle_*`): [`handle_clocks`](AuthCore::handle_clocks)
//!   (the wall clock and timers, on every wake-up),
//!   [`handle_response`](AuthCore::handle_response),
//!   [`handle_transport_error`](AuthCore::handle_transport_error),
//!   [`handle_rejected`](AuthCore::handle_rejected) (revault-api answered 401
//!   to token generation G),
//!   [`handle_store_lock_unavailable`](AuthCore::handle_store_lock_unavailable)
//!   (a driver sharing a token store could not take its update lock: the
//!   refresh token held may be spent by another process, so it is never
//!   sent); [`handle_timeout`](AuthCore::handle_timeout)
//!   and [`handle_wall_clock`](AuthCore::handle_wall_clock) are the two
//!   halves of `handle_clocks`.
//! - **Commands**: [`start`](AuthCore::start),
//!   [`update_api_key`](AuthCore::update_api_key), [`close`](AuthCore::close),
//!   [`restore`](AuthCore::restore).
//! - **Outputs** (`poll_*`): [`poll_transmit`](AuthCore::poll_transmit),
//!   [`poll_event`](AuthCore::poll_event), [`poll_timeout`](AuthCore::poll_timeout).
//!
//! One combined input (`handle_clocks`, after str0m's shape) keeps a driver
//! from forgetting the wall clock; the outputs stay three calls, because
//! drivers send, publish and sleep in three different places.
//!
//! ## Drain order
//! After any input or command, drain the outputs in this order:
//! 1. `poll_transmit` until `None`: send each request;
//! 2. `poll_event` until `None`: publish the token on `Authenticated`,
//!    `Refreshed`, `Reauthenticated` or `Restored`, withdraw it on
//!    `Expired` (or simply republish whenever
//!    [`token_version`](AuthCore::token_version) changes);
//! 3. `poll_timeout`: sleep until that instant or until an answer arrives,
//!    whichever is first, then call `handle_clocks` or `handle_response`.
//!
//! Only the last step is order-sensitive: `poll_timeout` must come after
//! `poll_transmit`, because sending arms the request deadline.
//!
//! A driver sharing a token store takes its update lock when
//! [`due`](AuthCore::due) says a request is due, before step 1. When the
//! lock cannot be had in time, it calls `handle_store_lock_unavailable` and
//! then drains as after any input: step 1 sends an API-key login (at once,
//! or at the refresh point if the lock was tried early), never the refresh
//! token another process may hold.
//!
//! ## Timers
//! | timer | armed | fires |
//! |---|---|---|
//! | request timeout | a request is sent | no answer in `request_timeout`: backoff |
//! | retry | a transient failure, `Retry-After`, or a refusal (slow schedule); the last two stretched by up to a fifth | the next request may go |
//! | refresh | a token arrives or is restored | at ~75–80 % of its lifetime: refresh |
//! | expiry | a token arrives | at the safety floor: the token is withdrawn |
//!
//! ## A drive loop
//! What a real driver does: callers ask for a token (demand starts the
//! core), requests go out and their answers come back later, a caller
//! reports that revault-api answered 401 to its token, and every wake-up
//! passes both clocks. Here the network is the in-memory
//! [`testing::ScriptedServer`] behind a queue with 50 ms of latency, and
//! the clocks are virtual; a real driver swaps in its HTTP client, its
//! timer and `Instant::now()` / `SystemTime::now()`.
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
//! let start = Instant::now(); // a real driver reads both clocks on every wake-up
//! let wall_at = |now: Instant| SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + (now - start);
//! let latency = Duration::from_millis(50);
//! let mut core = AuthCore::new(config, start);
//! let mut in_transit = Vec::new(); // (arrives at, request id, answer)
//! let mut now = start;
//! let (mut reported_401, mut refreshed) = (false, false);
//!
//! // A caller asks for a token: demand starts the core.
//! core.start(now);
//! while !refreshed {
//!     // Wake-up: both clocks, then the answers that have arrived.
//!     core.handle_clocks(now, wall_at(now));
//!     let (arrived, later): (Vec<_>, Vec<_>) =
//!         in_transit.drain(..).partition(|(at, _, _)| *at <= now);
//!     in_transit = later;
//!     for (_, id, answer) in arrived {
//!         match answer {
//!             Answer::Response(response) => { core.handle_response(id, response, now); }
//!             Answer::TransportError(kind) => { core.handle_transport_error(id, kind, now); }
//!             Answer::Silence => {}
//!         }
//!     }
//!     // 1. Send what is due; the answer comes back after the latency.
//!     while let Some(transmit) = core.poll_transmit(now) {
//!         let (id, request) = (transmit.id, transmit.into_request());
//!         in_transit.push((now + latency, id, server.answer(&request, wall_at(now))));
//!     }
//!     // 2. Publish or withdraw the token.
//!     while let Some(event) = core.poll_event() {
//!         match event {
//!             Event::Refreshed { .. } => refreshed = true,
//!             Event::Failed { error } => eprintln!("callers get at once: {error}"),
//!             other => println!("{other:?}"),
//!         }
//!     }
//!     // A caller's call to revault-api came back 401: report its token once.
//!     if let Some(token) = core.access_token(now).filter(|_| !reported_401) {
//!         reported_401 = core.handle_rejected(token.generation(), now);
//!         continue;
//!     }
//!     // 3. Sleep until the next deadline or the next answer, whichever is first.
//!     let answer_due = in_transit.iter().map(|(at, _, _)| *at).min();
//!     now = match (core.poll_timeout(), answer_due) {
//!         (Some(a), Some(b)) => a.min(b),
//!         (a, b) => a.or(b).expect("a token is always refreshed again"),
//!     };
//! }
//! assert!(core.access_token(now).is_some());
//! # Ok::<(), revault_auth_core::ConfigError>(())
//! ```
//!
//! With the `testing` feature, [`testing::Harness`] runs this loop for you
//! against a scripted server, so your own code can be unit-tested with no
//! network and no waiting.

#![forbid(unsafe_code)]
// The crate docs link to the `testing` module, which only exists with the
// feature of that name (docs.rs builds with it).
#![cfg_attr(not(feature = "testing"), allow(rustdoc::broken_intra_doc_links))]
#![cfg_attr(
    not(any(test, feature = "testing")),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod api_url;
mod backoff;
mod config;
mod core;
mod error;
mod event;
mod request;
mod response;
mod saved;
mod scrub;
mod secret;
mod state;
mod timebase;
mod timer;
mod transport;
mod transport_error;

#[cfg(feature = "testing")]
pub mod testing;

pub use crate::api_url::{MAX_API_URL_CHARS, SHOWN_CHARS, is_loopback, shown};
pub use crate::config::{
    Config, ConfigBuilder, DEFAULT_MAX_BODY, ENV_API_KEY_ID, ENV_API_KEY_SECRET,
    ENV_API_KEY_SECRET_FILE, ENV_API_URL, ENV_WORKSPACE, Policy,
};
pub use crate::core::{AuthCore, Phase};
pub use crate::error::{
    AuthError, ConfigError, ErrorClass, InvalidResponse, ServerMessage, TokenError,
    TransportErrorKind,
};
pub use crate::event::{Event, ExpiryCause, ReauthReason};
pub use crate::request::{Purpose, RequestId, Transmit};
pub use crate::response::{Grant, parse_grant};
pub use crate::saved::{SAVED_FORMAT, SavedTokens};
pub use crate::scrub::{MAX_SERVER_TEXT_CHARS, MIN_SCRUBBED_CHARS, scrub_server_text};
pub use crate::secret::{
    AccessToken, AccessTokenSecret, ApiKeySecret, RefreshToken, TokenGeneration,
};
pub use crate::transport::{AsyncTransport, BlockingTransport, Limits};
pub use crate::transport_error::{MAX_CAUSE_CHARS, TransportCause, TransportError};

/// Re-exported so drivers and users name one `http` version.
pub use http;
