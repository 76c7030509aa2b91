//! The session's state as enums, so that combinations that cannot happen
//! (a lost and a held refresh token at once, a request in flight while
//! closed) cannot be written down either.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::AuthError;
use crate::event::ReauthReason;
use crate::request::{Purpose, RequestId};
use crate::secret::{ApiKeySecret, RefreshToken};

/// Where the next request stands.
pub(crate) enum Link {
    /// Nothing asked for a token yet.
    Dormant,
    /// A request goes out when one is needed: at once without a token, at
    /// the token's refresh point with one.
    Ready,
    /// One request is in flight.
    Sending(InFlight),
    /// No request before `until`: backoff, `Retry-After`, or the slow
    /// schedule after a refusal.
    Waiting {
        /// The driver's instant the wait ends at.
        until: Instant,
        /// The end of the part of the wait a new API key cannot cut short
        /// (backoff, `Retry-After`), if any; at most `until`. Only the slow
        /// wait after a refusal lies beyond it.
        held_until: Option<Instant>,
    },
    /// [`crate::AuthCore::close`] was called.
    Closed,
}

/// The refresh token's side of the session.
pub(crate) enum RefreshState {
    /// No refresh token yet: the next API-key login is a first login (also
    /// after a restore that brought none).
    Fresh,
    /// An unspent refresh token.
    Held(HeldRefresh),
    /// None held: the next API-key login re-authenticates, for this reason.
    Lost(ReauthReason),
}

impl RefreshState {
    /// What the state becomes once `flight` failed without a usable answer:
    /// a refresh spent its token; an API-key login keeps its reason.
    pub(crate) fn after_failed(flight: &InFlight) -> Self {
        match (flight.purpose, flight.reauth) {
            (Purpose::Refresh, _) => Self::Lost(ReauthReason::RefreshTokenSpent),
            (Purpose::Authenticate, Some(reason)) => Self::Lost(reason),
            (Purpose::Authenticate, None) => Self::Fresh,
        }
    }
}

pub(crate) struct HeldRefresh {
    pub(crate) token: RefreshToken,
    pub(crate) usable_until: Instant,
}

pub(crate) struct InFlight {
    pub(crate) id: RequestId,
    pub(crate) purpose: Purpose,
    /// When it left; moved earlier with every detected suspend, so a
    /// lifetime counts from the send in real elapsed time.
    pub(crate) sent_at: Instant,
    pub(crate) deadline: Instant,
    /// The API key generation this request used (see
    /// [`crate::AuthCore::update_api_key`]).
    pub(crate) key_generation: u64,
    /// The API key (id and secret) a login carried: its answer is about
    /// that key, which may no longer be the current one. The secret is also
    /// scrubbed from the answer.
    pub(crate) key: Option<(String, ApiKeySecret)>,
    /// The refresh token this request spent; kept only to scrub it from
    /// whatever the server answers, never sent again.
    pub(crate) spent: Option<RefreshToken>,
    /// Why this `/auth/token` is a re-authentication, if it is one.
    pub(crate) reauth: Option<ReauthReason>,
    /// How long the served token had left when this request left.
    pub(crate) token_time_left: Option<Duration>,
}

/// The server refused the core: callers get `error` at once while the core
/// retries on the slow schedule.
pub(crate) struct Refusal {
    pub(crate) error: AuthError,
    /// Refusals in a row, for the doubling schedule.
    pub(crate) in_a_row: u32,
}

/// Refresh tokens remembered after being spent, so a restore cannot bring
/// one back.
const SPENT_REMEMBERED: usize = 4;

/// The last few refresh tokens this core spent.
#[derive(Default)]
pub(crate) struct SpentTokens(VecDeque<RefreshToken>);

impl SpentTokens {
    pub(crate) fn remember(&mut self, token: RefreshToken) {
        if self.0.len() >= SPENT_REMEMBERED {
            self.0.pop_front();
        }
        self.0.push_back(token);
    }

    pub(crate) fn contains(&self, token: &RefreshToken) -> bool {
        self.0
            .iter()
            .any(|spent| spent.expose_secret() == token.expose_secret())
    }
}
