//! # revault-auth-shared
//!
//! The part of a token manager that is the same whatever runs the
//! [`AuthCore`](revault_auth_core::AuthCore): the tokio, async-std/smol and
//! blocking ureq managers only drive it (spawn, send, sleep, feed back) and
//! hand the core to a [`Publication`] after every input. It holds:
//!
//! - the **published token** (an `ArcSwapOption` and a version: a read
//!   compares the version with the one this thread's copy was made at and
//!   clones that copy: no lock, no allocation, no clock, no write to memory
//!   another thread writes; see [`TokenRef`]), withdrawn at once by
//!   [`Publication::withdraw`] and never published again once a generation
//!   was reported rejected (the **watermark**), even when a suspend moves
//!   the core's deadlines and the core republishes;
//! - the **wait outcome** ([`Publication::outcome`], [`Publication::wait`]):
//!   a token, [`TokenError::Failed`](revault_auth_core::TokenError::Failed) at once when the API key was refused,
//!   [`TokenError::Closed`](revault_auth_core::TokenError::Closed), or [`TokenError::TimedOut`](revault_auth_core::TokenError::TimedOut) with the last error;
//! - the core's **events**, fanned out to every subscriber as a
//!   [`broadcast::Receiver<Event>`](tokio::sync::broadcast::Receiver) (a
//!   runtime-free channel: it works under any executor and blocking);
//! - [`TokenRef`], the token every manager returns, with its ready
//!   `Authorization` header value;
//! - [`TokenSource`], the small trait the middleware takes, implemented by
//!   every manager;
//! - [`UnauthorizedPolicy`], what to do when revault-api answers 401, used
//!   by the middleware and available to any client that calls the API;
//! - [`store::StoreLink`], the protocol for sharing one session between
//!   processes through a token store, for every manager.
//!
//! Nothing here reads a clock on the read path, spawns or sleeps: readers
//! never need a runtime.
//!
//! ## What a reading thread keeps
//!
//! Each thread keeps, for each of the last four managers it read, one
//! count on the token it last read and its own copy of that token's
//! `Authorization` header value, until its next read after the token
//! changed, until it reads four other managers, or until it exits. A
//! withdrawn token may stay that long in the memory of a thread that
//! stopped reading; it is never served again, and it and the thread's
//! header copy are zeroized when the last handle to them is dropped.

mod clock;
pub mod command;
mod copies;
mod publication;
mod reader;
mod source;
pub mod store;
mod token_ref;
mod unauthorized;

pub use crate::clock::{HEARTBEAT, WallClock};
pub use crate::publication::{EVENT_CAPACITY, Publication};
pub use crate::reader::TokenReader;
pub use crate::source::TokenSource;
pub use crate::token_ref::TokenRef;
pub use crate::unauthorized::{Challenge, DEFAULT_COOL_DOWN, UnauthorizedPolicy, Verdict};

/// Re-exported so that every manager names one channel type for its events.
pub use tokio::sync::broadcast;
