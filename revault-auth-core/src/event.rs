//! What the core tells the application. Events never carry a secret.

use std::time::Duration;

use crate::error::AuthError;
use crate::secret::TokenGeneration;

use crate::request::Purpose;

/// Something the application may want to observe or log.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The first token was obtained with the API key.
    Authenticated {
        /// The new token's generation.
        generation: TokenGeneration,
        /// The access token's lifetime as the server stated it.
        expires_in: Duration,
        /// The refresh token's lifetime.
        refresh_expires_in: Duration,
    },
    /// A refresh token was exchanged for a new pair.
    Refreshed {
        /// The new token's generation.
        generation: TokenGeneration,
        /// The access token's lifetime.
        expires_in: Duration,
        /// The new refresh token's lifetime.
        refresh_expires_in: Duration,
    },
    /// A new pair was obtained with the API key after the first.
    Reauthenticated {
        /// The new token's generation.
        generation: TokenGeneration,
        /// The access token's lifetime.
        expires_in: Duration,
        /// The refresh token's lifetime.
        refresh_expires_in: Duration,
        /// Why the refresh token could not be used.
        reason: ReauthReason,
    },
    /// A request failed transiently; the next one waits `delay`.
    RetryScheduled {
        /// What went wrong.
        error: AuthError,
        /// How long until the next attempt.
        delay: Duration,
        /// Consecutive failures so far.
        attempt: u32,
    },
    /// The server asked us to slow down; the next request waits `delay`.
    RateLimited {
        /// 420, 429 or 503.
        status: u16,
        /// The wait asked: the server's wish, capped (a backoff without
        /// one). The core waits up to a fifth longer (jitter);
        /// [`crate::AuthCore::retry_at`] says until when.
        delay: Duration,
    },
    /// The token stopped being served.
    Expired {
        /// Which token.
        generation: TokenGeneration,
        /// Why.
        cause: ExpiryCause,
    },
    /// A saved access token was installed with
    /// [`crate::AuthCore::restore`] (obtained by this process earlier, or by
    /// another one sharing the token store).
    Restored {
        /// The generation it is served under in this core.
        generation: TokenGeneration,
    },
    /// A request got its answer, failed in transport or timed out: for
    /// latency metrics. Comes after the events its outcome caused.
    RequestFinished {
        /// Which endpoint.
        purpose: Purpose,
        /// The answer's status; `None` for a transport failure or timeout.
        status: Option<u16>,
        /// From sending to the answer (or the failure).
        latency: Duration,
        /// How long the served token had left when the request was sent
        /// (`None` when none was served): the margin a refresh kept.
        token_time_left: Option<Duration>,
    },
    /// The server refused the core (credentials rejected, invalid request,
    /// 404): callers get this error at once ([`crate::AuthCore::failure`]).
    /// The core tries again on its slow schedule, and at once after
    /// [`crate::AuthCore::update_api_key`]; a token arriving clears it.
    Failed {
        /// What went wrong.
        error: AuthError,
    },
}

/// Why the core went back to the API key instead of refreshing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReauthReason {
    /// The refresh endpoint answered 400, 401 or 403.
    RefreshRejected,
    /// The refresh token would expire before the server could use it.
    RefreshTokenExpiring,
    /// The last refresh got no usable answer; its token counts as spent.
    RefreshTokenSpent,
    /// The API key was replaced.
    ApiKeyUpdated,
    /// The token store's update lock could not be taken: another process
    /// may spend the refresh token this core held, so it was not sent.
    StoreLockUnavailable,
}

/// Why a token stopped being served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExpiryCause {
    /// It reached its safety floor before a new one arrived.
    Lifetime,
    /// revault-api answered 401 to it ([`crate::AuthCore::handle_rejected`]).
    Rejected,
    /// The wall clock shows the machine slept past its lifetime.
    Suspended,
}
