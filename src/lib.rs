//! # revault-auth
//!
//! Always-valid JWTs for revault-api. This facade re-exports the sans-IO
//! core and, behind features of the same names, the runtime adapters, one
//! import path per runtime:
//!
//! | feature | path | what |
//! |---|---|---|
//! | `tokio` (default) | `revault_auth::tokio::TokenManager` | background refresh task, reqwest (rustls) |
//! | `async-std` | `revault_auth::async_std::TokenManager` | async-std and smol |
//! | `ureq` | `revault_auth::ureq::BlockingTokenManager` | blocking, no background thread |
//! | `middleware` | `revault_auth::middleware::{AuthLayer, AuthMiddleware}` | tower layer and reqwest middleware over any manager above |
//!
//! Only `tokio` is on by default; for another runtime depend on
//! `revault-auth` with `default-features = false, features = ["ureq"]` (or
//! `"async-std"`). No feature pulls a command line, an emulator or a logging
//! subscriber: the `revault-auth` binary is the `revault-auth-cli` crate.
//!
//! Every type a user names (configuration, errors, events, tokens, secrets)
//! is re-exported here at the top level; the sans-IO machinery for writing
//! your own driver is under [`core`].

pub use revault_auth_core as core;
pub use revault_auth_core::{
    AccessToken, AccessTokenSecret, ApiKeySecret, AsyncTransport, AuthError, BlockingTransport,
    Config, ConfigBuilder, ConfigError, DEFAULT_MAX_BODY, ENV_API_KEY_ID, ENV_API_KEY_SECRET,
    ENV_API_URL, ENV_WORKSPACE, ErrorClass, Event, ExpiryCause, InvalidResponse, Limits, Policy,
    ReauthReason, SavedTokens, ServerMessage, TokenError, TokenGeneration, TransportErrorKind,
};

#[cfg(feature = "async-std")]
pub use revault_auth_async_std as async_std;
#[cfg(feature = "middleware")]
pub use revault_auth_middleware as middleware;
#[cfg(feature = "tokio")]
pub use revault_auth_tokio as tokio;
#[cfg(feature = "ureq")]
pub use revault_auth_ureq as ureq;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
