//! # revault-auth-shared
//!
//! The part of a token manager that is the same whatever runs the
//! [`AuthCore`](revault_auth_core::AuthCore). An adapter is a runtime and
//! a transport; everything else is here:
//!
//! - **The async manager** ([`Manager`], its [`Builder`] and the drive
//!   loop), written once over the small [`Runtime`] trait: spawn the
//!   driver, sleep until an instant, run blocking work off the loop. The
//!   tokio and async-std/smol adapters implement it and name the manager
//!   `TokenManager`.
//! - **The engine** ([`Engine`]): the core, the store link and the
//!   publication, and the order in which a driver works them (wake with
//!   both clocks, store job, send, feed, publish). The async loop and the
//!   blocking ureq manager both drive it.
//! - **Commands** ([`command`]): what a handle asks of its driver.
//! - **The token store link** ([`store::StoreLink`]): the protocol for
//!   sharing one session between processes, as jobs the driver runs where
//!   blocking is harmless.
//! - **The read path**: the published token ([`Publication`]: an
//!   `ArcSwapOption` and a version; a read compares the version with the
//!   one this thread's copy was made at and clones that copy: no lock, no
//!   allocation, no clock, no write to memory another thread writes),
//!   withdrawn at once by [`Publication::withdraw`] and
//!   never published again once a generation was reported rejected (the
//!   **watermark**); the **wait outcome** ([`Publication::wait`]); the
//!   core's **events**, fanned out to every subscriber as a
//!   [`broadcast::Receiver<Event>`](tokio::sync::broadcast::Receiver) (a
//!   runtime-free channel); [`TokenRef`] (the token with its ready
//!   `Authorization` header value) and [`TokenReader`].
//! - [`TokenSource`], the small trait the middleware takes, implemented by
//!   every manager.
//!
//! Nothing here reads a clock on the read path, spawns or sleeps: readers
//! never need a runtime.
//!
//! ## What a reading thread keeps
//!
//! Each thread keeps, for each of the last four managers it read, one
//! count on the token it last read and its own copy of that token's
//! `Authorization` header value (with up to sixteen handles of that copy
//! kept back from dropped `TokenRef`s, so reads in a loop write no
//! atomic), until its next read after the token changed, until it reads four other managers, or until it exits. A
//! withdrawn token may stay that long in the memory of a thread that
//! stopped reading; it is never served again, and it and the thread's
//! header copy are zeroized when the last handle to them is dropped.

mod clock;
pub mod command;
mod copies;
mod driver;
mod engine;
pub mod env;
mod manager;
mod publication;
mod reader;
mod runtime;
pub mod secret_file;
pub mod seed;
mod source;
pub mod store;
mod token_ref;

pub use crate::clock::{HEARTBEAT, WallClock};
pub use crate::engine::{Answer, Engine, REQUEST_TARGET, Sent};
pub use crate::manager::{Builder, DEFAULT_WAIT, Manager, NamedRuntime};
pub use crate::publication::{EVENT_CAPACITY, Publication};
pub use crate::reader::TokenReader;
pub use crate::runtime::Runtime;
pub use crate::source::TokenSource;
pub use crate::token_ref::TokenRef;

/// Re-exported so that every manager names one channel type for its events.
pub use tokio::sync::broadcast;
