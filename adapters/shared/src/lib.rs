//! # revault-auth-shared
//!
//! The part of a token manager that is the same whatever runs the
//! [`AuthCore`](revault_auth_core::AuthCore): the tokio, async-std/smol and
//! blocking ureq managers only drive it (spawn, send, sleep, feed back) and
//! hand the core to a [`Publication`] after every input. It holds:
//!
//! - the **published token** (an `ArcSwapOption` and a version: a read
//!   compares the version with the thread's shelf and lends from it, no
//!   lock, no allocation, no clock, no shared write), withdrawn at once by
//!   [`Publication::withdraw`] and never published again once a generation
//!   was reported rejected (the **watermark**), even when a suspend moves
//!   the core's deadlines and the core republishes;
//! - the **wait outcome** ([`Publication::outcome`], [`Publication::wait`]):
//!   a token, [`TokenError::Failed`](revault_auth_core::TokenError::Failed) at once when the API key was refused,
//!   [`TokenError::Closed`](revault_auth_core::TokenError::Closed), or [`TokenError::TimedOut`](revault_auth_core::TokenError::TimedOut) with the last error;
//! - the core's **events**, fanned out to every subscriber as a
//!   [`broadcast::Receiver<Event>`](tokio::sync::broadcast::Receiver) (a
//!   runtime-free channel: it works under any executor and blocking);
//! - [`TokenRef`], the borrowed token every manager returns;
//! - [`TokenSource`], the small trait the middleware takes, implemented by
//!   every manager;
//! - [`store::StoreLink`], the protocol for sharing one session between
//!   processes through a token store, for every manager.
//!
//! Nothing here reads a clock on the read path, spawns or sleeps: readers
//! never need a runtime.

mod clock;
pub mod command;
pub mod env;
mod lend;
mod publication;
mod reader;
pub mod secret_file;
pub mod seed;
mod source;
pub mod store;
mod token_ref;

pub use crate::clock::{HEARTBEAT, WallClock};
pub use crate::publication::{EVENT_CAPACITY, Publication};
pub use crate::reader::TokenReader;
pub use crate::source::TokenSource;
pub use crate::token_ref::TokenRef;

/// Re-exported so that every manager names one channel type for its events.
pub use tokio::sync::broadcast;
