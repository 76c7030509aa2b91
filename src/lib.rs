//! # revault-auth
//!
//! Always-valid JWTs for revault-api. This facade re-exports the sans-IO
//! core and, behind features of the same names, the runtime adapters:
//! `tokio`, `async-std` (also runs under smol) and `ureq` (blocking).

pub use revault_auth_core as core;
pub use revault_auth_core::{
    AccessToken, ApiKeySecret, AuthError, Config, ConfigError, ErrorClass, Event, Policy,
    TokenGeneration,
};

#[cfg(feature = "async-std")]
pub use revault_auth_async_std as async_std;
#[cfg(feature = "tokio")]
pub use revault_auth_tokio as tokio;
#[cfg(feature = "ureq")]
pub use revault_auth_ureq as ureq;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
