//! Every manager scenario, written once and run for each manager: tokio,
//! async-std under async-std and under smol, and the blocking ureq manager
//! (see [`manager`]). One file per behaviour; tests are named
//! `behaviour::scenario::manager`. Oracles are what the emulator (or the
//! scripted server) saw, never what the manager says of itself.

#![allow(unreachable_pub)] // a test binary: `pub` only shares items between its modules

#[path = "../common/mod.rs"]
mod common;
mod kit;
#[macro_use]
mod manager;

mod authenticate;
mod backoff_on_5xx;
mod body_too_large;
mod credentials_rejected;
mod force_refresh;
mod foreign_token_reports;
mod insecure_url;
mod invalidate_after_401;
mod lifecycle;
mod no_redirect;
mod panicking_transport;
mod platform_roots;
mod reader;
mod reauth_after_rejected_refresh;
mod refresh_before_expiry;
mod refused_credentials_recover;
mod rejected_generation_never_served_after_suspend;
mod restore;
mod retry_after;
mod rotation;
mod scripted;
mod single_flight;
mod store_one_session_per_account;
mod store_reuses_newer_session;
mod store_saves_before_publish;
mod store_start_from_saved;
mod untrusted_certificate;
mod update_api_key;
mod wall_clock_jump;
