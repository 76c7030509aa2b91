//! [`AuthCore`]: the state machine. See the crate docs for the drive loop.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use http::Response;
use zeroize::Zeroize;

use crate::backoff::{Backoff, doubling};
use crate::config::Config;
use crate::error::{AuthError, ConfigError, ServerMessage, TransportErrorKind};
use crate::event::{Event, ExpiryCause, ReauthReason};
use crate::request::{self, Purpose, RequestId, Transmit};
use crate::response::{self, Grant, RawMessage, RetryAfter, Verdict};
use crate::saved::{SAVED_FORMAT, SavedTokens, from_unix_ms, to_unix_ms, unix_ms};
use crate::scrub::scrub_server_text;
use crate::secret::{AccessToken, AccessTokenSecret, ApiKeySecret, TokenGeneration, bearer_header};
use crate::state::{HeldRefresh, InFlight, Link, RefreshState, Refusal, SpentTokens};
use crate::timebase::TimeBase;
use crate::timer::{Timer, TimerTable};

/// The seed [`AuthCore::new`] uses when the policy sets none: one fixed
/// value, so tests and the testing harness are reproducible.
const FIXED_SEED: u64 = 0x5eed_0f7e_4a01;

/// Events kept for the application before the oldest are dropped: an
/// application that never drains them must not grow without bound.
const MAX_QUEUED_EVENTS: usize = 256;

/// Where the core stands, for logs and dashboards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Nothing asked for a token yet.
    Idle,
    /// A `/auth/token` request is in flight (or about to be sent).
    Authenticating,
    /// A `/auth/token/refresh` request is in flight.
    Refreshing,
    /// A token is being served and nothing is in flight.
    Ready,
    /// No token, waiting out a backoff or `Retry-After`.
    Waiting,
    /// The server refused the core (see [`AuthCore::failure`]): callers get
    /// that error at once, while the core retries on its slow schedule
    /// ([`AuthCore::poll_timeout`] says when) and at once after
    /// [`AuthCore::update_api_key`]. Not final: a token ends it.
    Failed,
    /// [`AuthCore::close`] was called.
    Closed,
}

/// The sans-IO token manager. See the crate docs for the method kinds and
/// the order in which to drain them.
pub struct AuthCore {
    config: Config,
    time: TimeBase,
    link: Link,
    refresh: RefreshState,
    access: Option<AccessToken>,
    /// Bumped whenever `access` changes, deadlines included.
    access_version: u64,
    refusal: Option<Refusal>,
    last_error: Option<AuthError>,
    backoff: Backoff,
    /// Tokens revault-api rejected before they reached their refresh point,
    /// back to back.
    rejected_in_a_row: u32,
    /// Bumped when [`AuthCore::update_api_key`] changes the key; every
    /// request carries the generation it used.
    key_generation: u64,
    spent: SpentTokens,
    events: VecDeque<Event>,
    dropped_events: u64,
    next_request: u64,
    last_generation: u64,
    /// The token store's version of the tokens held (see
    /// [`AuthCore::saved_version`]).
    saved_version: Option<u64>,
    /// `access_version` when the tokens were last restored or saved.
    saved_token_version: Option<u64>,
}

impl std::fmt::Debug for AuthCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthCore")
            .field("phase", &self.phase())
            .field("generation", &self.last_generation)
            .field("access", &self.access)
            .field("in_flight", &self.in_flight())
            .field("retry_at", &self.retry_at())
            .field("failure", &self.failure())
            .finish_non_exhaustive()
    }
}

fn later(at: Instant, by: Duration) -> Instant {
    // Policy caps keep every duration far below what an Instant can hold;
    // should one overflow anyway, "now" is the safe answer for a deadline.
    at.checked_add(by).unwrap_or(at)
}

fn earlier(at: Instant, by: Duration, fallback: Instant) -> Instant {
    at.checked_sub(by).unwrap_or(fallback).min(at)
}

impl AuthCore {
    /// A core for a validated configuration. `now` is the driver's clock.
    /// Without a [`Policy::seed`](crate::Policy), the jitter comes from one
    /// fixed seed: every core made this way draws the same schedule. Fine
    /// for tests; a manager uses [`new_seeded`](Self::new_seeded).
    pub fn new(config: Config, now: Instant) -> Self {
        Self::new_seeded(config, now, FIXED_SEED)
    }

    /// A core whose jitter (refresh point, backoff, `Retry-After`, the slow
    /// schedule after a refusal) is drawn from `entropy` unless the policy
    /// sets a [`seed`](crate::Policy::seed). A driver passes a value drawn
    /// from the operating system, so the managers of a fleet, started
    /// together and refused together, do not act at one instant. The core
    /// stays deterministic: the same seed gives the same schedule.
    pub fn new_seeded(config: Config, now: Instant, entropy: u64) -> Self {
        let policy = &config.policy;
        let seed = policy.seed.unwrap_or(entropy);
        let backoff = Backoff::new(policy.backoff_base, policy.backoff_cap, seed);
        let link = if config.eager {
            Link::Ready
        } else {
            Link::Dormant
        };
        Self {
            config,
            time: TimeBase::new(now),
            link,
            refresh: RefreshState::Fresh,
            access: None,
            access_version: 0,
            refusal: None,
            last_error: None,
            backoff,
            rejected_in_a_row: 0,
            key_generation: 0,
            spent: SpentTokens::default(),
            events: VecDeque::new(),
            dropped_events: 0,
            next_request: 1,
            last_generation: 0,
            saved_version: None,
            saved_token_version: None,
        }
    }

    // ----- getters ---------------------------------------------------------

    /// The token to use now, if one is valid. `None` inside the safety floor
    /// before expiry, after a rejection, while none has been obtained, and
    /// after [`close`](Self::close). A `now` older than one the core has seen
    /// is a stale reading and counts as the newest one, so it cannot revive
    /// a token.
    pub fn access_token(&self, now: Instant) -> Option<&AccessToken> {
        self.access_token_at(self.time.at(now))
    }

    fn access_token_at(&self, now: Instant) -> Option<&AccessToken> {
        self.access
            .as_ref()
            .filter(|token| now < token.usable_until)
    }

    /// Changes whenever the token [`access_token`](Self::access_token)
    /// returns changes: a new token, one withdrawn, deadlines moved after a
    /// suspend. Drivers republish when it differs from what they published.
    pub fn token_version(&self) -> u64 {
        self.access_version
    }

    /// Where the core stands.
    pub fn phase(&self) -> Phase {
        match (&self.link, &self.refusal, &self.access) {
            (Link::Closed, _, _) => Phase::Closed,
            (_, Some(_), _) => Phase::Failed,
            (Link::Sending(flight), _, _) if flight.purpose == Purpose::Refresh => {
                Phase::Refreshing
            }
            (Link::Sending(_), _, _) => Phase::Authenticating,
            (_, _, Some(_)) => Phase::Ready,
            (Link::Waiting { .. }, _, None) => Phase::Waiting,
            (Link::Ready, _, None) => Phase::Authenticating,
            (Link::Dormant, _, None) => Phase::Idle,
        }
    }

    /// The refusal callers get at once instead of waiting: credentials
    /// rejected, an invalid request, a 404. `None` otherwise. Not final:
    /// the core retries on its slow schedule (see
    /// [`retry_at`](Self::retry_at)) and at once after
    /// [`update_api_key`](Self::update_api_key); a token clears it.
    pub fn failure(&self) -> Option<&AuthError> {
        self.refusal.as_ref().map(|refusal| &refusal.error)
    }

    /// The most recent failure since the last token arrived, transient or
    /// not: what a caller that gave up waiting wants to report.
    pub fn last_error(&self) -> Option<&AuthError> {
        self.last_error.as_ref()
    }

    /// When the next request may go, while the core waits out a backoff, a
    /// `Retry-After` or the slow schedule after a refusal.
    pub fn retry_at(&self) -> Option<Instant> {
        match self.link {
            Link::Waiting { until, .. } => Some(until),
            _ => None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The request in flight, if any (there is never more than one).
    pub fn in_flight(&self) -> Option<(RequestId, Purpose)> {
        match &self.link {
            Link::Sending(flight) => Some((flight.id, flight.purpose)),
            _ => None,
        }
    }

    /// Consecutive failed attempts since the last success.
    pub fn consecutive_failures(&self) -> u32 {
        self.backoff.failures()
    }

    /// Events dropped because the application did not drain them.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    // ----- inputs ----------------------------------------------------------

    /// Time has passed. Safe to call at any time; calls with nothing due are
    /// no-ops.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.time.observe(now);
        let table = self.timers();
        for timer in table.due(now) {
            match timer {
                Timer::RequestTimeout => {
                    if let Link::Sending(flight) = std::mem::replace(&mut self.link, Link::Ready) {
                        let finished = Self::finished(&flight, None, now);
                        self.after_failure(AuthError::Timeout, now);
                        self.push_event(finished);
                    }
                }
                Timer::Retry => self.link = Link::Ready,
                // `poll_transmit` sends the refresh.
                Timer::Refresh => {}
                Timer::Expiry => self.expire(ExpiryCause::Lifetime),
            }
        }
    }

    /// The answer to request `id`. Returns `false`, changing nothing, when
    /// `id` is not the request in flight (unknown, stale or timed out). The
    /// body is zeroized once read.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        mut response: Response<Vec<u8>>,
        now: Instant,
    ) -> bool {
        let now = self.time.observe(now);
        let Some(flight) = self.take_in_flight(id) else {
            response.body_mut().zeroize();
            return false;
        };
        let verdict = response::classify(&response, &self.config.policy);
        response.body_mut().zeroize();
        let finished = Self::finished(&flight, Some(response.status().as_u16()), now);
        self.apply(flight, verdict, now);
        self.push_event(finished);
        true
    }

    /// Request `id` failed in transport. Returns `false` when `id` is not the
    /// request in flight.
    pub fn handle_transport_error(
        &mut self,
        id: RequestId,
        kind: TransportErrorKind,
        now: Instant,
    ) -> bool {
        let now = self.time.observe(now);
        let Some(flight) = self.take_in_flight(id) else {
            return false;
        };
        let finished = Self::finished(&flight, None, now);
        self.after_failure(AuthError::Transport(kind), now);
        self.push_event(finished);
        true
    }

    /// revault-api answered 401 to a call made with token `generation`. Drops
    /// that token if it is still the current one and returns `true`; reports
    /// about older tokens change nothing.
    pub fn handle_rejected(&mut self, generation: TokenGeneration, now: Instant) -> bool {
        let now = self.time.observe(now);
        let current = self
            .access
            .as_ref()
            .is_some_and(|token| token.generation == generation);
        if current {
            self.expire(ExpiryCause::Rejected);
            self.slow_down_after_rejection(now);
        }
        current
    }

    /// The driver could not take the token store's update lock (it timed
    /// out): another process may hold the refresh token this core holds and
    /// spend it at any moment, so this core never sends it. The token is
    /// dropped unsent (and a restore cannot bring it back); the next
    /// request, at the access token's refresh point or at once without one,
    /// is an API-key login that starts a session of this core's own
    /// ([`ReauthReason::StoreLockUnavailable`]). The access token is served
    /// until then. Without a refresh token held, nothing changes.
    pub fn handle_store_lock_unavailable(&mut self, now: Instant) {
        self.time.observe(now);
        if matches!(self.refresh, RefreshState::Held(_)) {
            let given_up = std::mem::replace(
                &mut self.refresh,
                RefreshState::Lost(ReauthReason::StoreLockUnavailable),
            );
            if let RefreshState::Held(held) = given_up {
                self.spent.remember(held.token);
            }
        }
    }

    /// The wall clock, read by the driver together with `now`. Monotonic
    /// clocks stop while a machine sleeps; when the wall clock has run ahead
    /// of the monotonic one by more than the tolerance since the core's
    /// anchor (short gaps add up), the core moves every deadline earlier by
    /// the difference, the send time of a request in flight included, so a
    /// token never outlives a suspend. A pair whose `now` is stale is
    /// ignored.
    pub fn handle_wall_clock(&mut self, now: Instant, wall: SystemTime) {
        let tolerance = self.config.policy.suspend_tolerance;
        if let Some(slept) = self.time.wall_clock(now, wall, tolerance) {
            let now = self.time.at(now);
            self.shift_deadlines(slept, now);
        }
    }

    /// [`handle_wall_clock`](Self::handle_wall_clock) then
    /// [`handle_timeout`](Self::handle_timeout): the one input a driver
    /// calls whenever it wakes up, so it cannot forget the wall clock.
    pub fn handle_clocks(&mut self, now: Instant, wall: SystemTime) {
        self.handle_wall_clock(now, wall);
        self.handle_timeout(now);
    }

    // ----- commands --------------------------------------------------------

    /// Obtain a token now rather than waiting for demand. Idempotent.
    pub fn start(&mut self, now: Instant) {
        self.time.observe(now);
        if matches!(self.link, Link::Dormant) {
            self.link = Link::Ready;
        }
    }

    /// Replaces the API key (rotation, or recovery after
    /// [`AuthError::CredentialsRejected`]).
    ///
    /// A changed key: the current access token keeps being served until its
    /// refresh point, and the next token comes from the new key (the old
    /// key's refresh chain is dropped). A request in flight with the old key
    /// is tagged with it: if the server refuses it, the core does not fail
    /// but sends with the new key at once; if it brings tokens, the access
    /// token is served and its refresh token discarded. A `Retry-After` or
    /// backoff under way stands.
    ///
    /// After a refusal ([`failure`](Self::failure)), with a changed key or
    /// the same one, the core clears it and tries again at once, or once a
    /// `Retry-After` or backoff still under way is over. Otherwise
    /// an unchanged key changes nothing.
    pub fn update_api_key(
        &mut self,
        api_key_id: impl Into<String>,
        api_key_secret: ApiKeySecret,
        now: Instant,
    ) -> Result<(), ConfigError> {
        let now = self.time.observe(now);
        let api_key_id = api_key_id.into();
        crate::config::check_api_key(&api_key_id, &api_key_secret)?;
        let changed = api_key_id != self.config.api_key_id
            || api_key_secret.expose_secret() != self.config.api_key_secret.expose_secret();
        if api_key_id != self.config.api_key_id {
            // Another key's session: no stored version of this one applies,
            // and the tokens held are not the new key's to save.
            self.saved_version = None;
            self.saved_token_version = Some(self.access_version);
        }
        if changed {
            self.config.api_key_id = api_key_id;
            self.config.api_key_secret = api_key_secret;
            self.key_generation += 1;
            if !matches!(self.refresh, RefreshState::Fresh) {
                self.refresh = RefreshState::Lost(ReauthReason::ApiKeyUpdated);
            }
            self.start(now);
        }
        self.end_refusal(now);
        Ok(())
    }

    /// Clears a refusal and cuts short its slow wait, but not the server's
    /// `Retry-After` or a backoff under way: a new API key or a restored
    /// session is a reason to try again, not to ignore the server.
    fn end_refusal(&mut self, now: Instant) {
        if self.refusal.take().is_some()
            && let Link::Waiting { held_until, .. } = self.link
        {
            self.link = match held_until {
                Some(until) if until > now => Link::Waiting {
                    until,
                    held_until: Some(until),
                },
                _ => Link::Ready,
            };
        }
    }

    /// Stops for good: drops every secret and sends nothing more.
    pub fn close(&mut self) {
        self.link = Link::Closed;
        self.access = None;
        self.access_version += 1;
        self.refresh = RefreshState::Fresh;
        self.spent = SpentTokens::default();
    }

    // ----- persistence -----------------------------------------------------

    /// A snapshot of the current usable access token and the unspent
    /// refresh token, for a token store; `None` when no access token is
    /// usable at `now`. Deadlines are converted to wall time through the
    /// `now`/`wall` pair (read together by the driver), and `wall` is
    /// recorded as its `saved_at_unix_ms`. Its `version` is
    /// [`saved_version`](Self::saved_version) (0 if none).
    pub fn export(&self, now: Instant, wall: SystemTime) -> Option<SavedTokens> {
        let now = self.time.at(now);
        let token = self.access_token_at(now)?;
        let unix = |at: Instant| to_unix_ms(at, now, wall);
        let refresh = match &self.refresh {
            RefreshState::Held(held) => Some(held),
            _ => None,
        };
        Some(SavedTokens {
            format: SAVED_FORMAT,
            version: self.saved_version.unwrap_or(0),
            workspace: self.config.workspace.clone(),
            api_key_id: self.config.api_key_id.clone(),
            access_token: token.secret.clone(),
            access_expires_at_unix_ms: unix(token.expires_at),
            access_usable_until_unix_ms: unix(token.usable_until),
            access_refresh_at_unix_ms: unix(token.refresh_at),
            refresh_token: refresh.map(|held| held.token.clone()),
            refresh_usable_until_unix_ms: refresh.map_or(0, |held| unix(held.usable_until)),
            saved_at_unix_ms: unix_ms(wall),
        })
    }

    /// Installs tokens from a store: the access token when it is still
    /// usable at `wall`, and the refresh token when it is (even if the
    /// access token is not). Refused (returns `false`, changing nothing)
    /// when the format, workspace or API key id differ, when a request is
    /// in flight (its answer brings newer tokens), after
    /// [`close`](Self::close), when the snapshot is older than what the
    /// core holds (a lower store version, or an access token that expires
    /// no later than the one held), when a deadline in it lies further
    /// from `wall` than [`Policy::max_lifetime`](crate::Policy) (plus a
    /// minute of clock slack: no server answer could have produced it), when
    /// it was saved later than `wall` by more than that minute (this host's
    /// clock is behind: its deadlines cannot be trusted), or when nothing in
    /// `saved` is usable. A refresh token this core already spent, or gave
    /// up ([`handle_store_lock_unavailable`](Self::handle_store_lock_unavailable)),
    /// is never installed.
    ///
    /// An installed access token gets a new generation and
    /// [`Event::Restored`]; its deadlines count in wall time, so a token
    /// saved 200 s into a 300 s life expires 100 s after the restore. It is
    /// refreshed ahead of expiry like any other (restoring starts the
    /// core), or only at its `usable_until` when
    /// [`Policy::refresh_restored_ahead`](crate::Policy) is `false`. A
    /// restore ends a refusal ([`failure`](Self::failure)) and its slow
    /// wait, since the session needs no API key; a backoff or
    /// `Retry-After` under way stands. Records
    /// `saved.version` as [`saved_version`](Self::saved_version).
    pub fn restore(&mut self, saved: SavedTokens, now: Instant, wall: SystemTime) -> bool {
        let now = self.time.observe(now);
        let instant = |unix: u64| from_unix_ms(unix, now, wall);
        let older_version = self
            .saved_version
            .is_some_and(|version| saved.version < version);
        let older_token = self.access.as_ref().is_some_and(|token| {
            token.secret.expose_secret() == saved.access_token.expose_secret()
                || instant(saved.access_expires_at_unix_ms) <= token.expires_at
        });
        let acceptable = saved.format == SAVED_FORMAT
            && saved.workspace == self.config.workspace
            && saved.api_key_id == self.config.api_key_id
            && !matches!(self.link, Link::Closed | Link::Sending(_))
            && !older_version
            && !older_token
            && saved.within_lifetime(wall, self.config.policy.max_lifetime)
            && saved.saved_by(wall)
            && response::usable_token(saved.access_token.expose_secret());
        if !acceptable {
            return false;
        }
        let access_usable = saved.access_usable_at(wall);
        let refresh_usable = saved.refresh_usable_at(wall)
            && saved.refresh_token.as_ref().is_some_and(|token| {
                response::usable_token(token.expose_secret()) && !self.spent.contains(token)
            });
        if !access_usable && !refresh_usable {
            return false;
        }
        if let Some(token) = saved.refresh_token.filter(|_| refresh_usable) {
            self.refresh = RefreshState::Held(HeldRefresh {
                token,
                usable_until: instant(saved.refresh_usable_until_unix_ms),
            });
        }
        if access_usable {
            let usable_until = instant(saved.access_usable_until_unix_ms);
            let expires_at = instant(saved.access_expires_at_unix_ms).max(usable_until);
            let refresh_at = if self.config.policy.refresh_restored_ahead {
                instant(saved.access_refresh_at_unix_ms).min(usable_until)
            } else {
                usable_until
            };
            let generation =
                self.install_access(saved.access_token, expires_at, usable_until, refresh_at);
            self.push_event(Event::Restored { generation });
        }
        self.end_refusal(now);
        self.start(now);
        self.saved_version = Some(saved.version);
        self.saved_token_version = Some(self.access_version);
        true
    }

    /// What [`poll_transmit`](Self::poll_transmit) would send at `now`,
    /// without sending it: a driver sharing a token store checks the store
    /// (and [`restore`](Self::restore)s a newer snapshot) right before a
    /// refresh, so two processes do not both spend one refresh token.
    pub fn due(&self, now: Instant) -> Option<Purpose> {
        let now = self.time.at(now);
        self.may_send(now).then(|| self.next_purpose(now))
    }

    /// The token store's version this core last restored from or saved
    /// (see [`mark_saved`](Self::mark_saved)): the version to expect when
    /// saving next.
    pub fn saved_version(&self) -> Option<u64> {
        self.saved_version
    }

    /// The tokens held changed since they were last restored or saved.
    pub fn unsaved(&self) -> bool {
        self.access.is_some() && self.saved_token_version != Some(self.access_version)
    }

    /// The store saved the current tokens as `version`.
    pub fn mark_saved(&mut self, version: u64) {
        self.saved_version = Some(version);
        self.saved_token_version = Some(self.access_version);
    }

    // ----- outputs ---------------------------------------------------------

    /// The next request to send, if one is due. Single flight: never a second
    /// one before the first is answered, has failed or has timed out.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        let now = self.time.observe(now);
        if matches!(self.link, Link::Waiting { until, .. } if until <= now) {
            self.link = Link::Ready;
        }
        if !self.may_send(now) {
            return None;
        }
        if self.access.is_some() {
            // This token lived to its refresh point unrejected.
            self.rejected_in_a_row = 0;
        }
        let id = RequestId(self.next_request);
        self.next_request += 1;
        let purpose = self.next_purpose(now);
        let refresh = std::mem::replace(&mut self.refresh, RefreshState::Fresh);
        let (transmit, spent, reauth, key) = match (purpose, refresh) {
            (Purpose::Refresh, RefreshState::Held(held)) => {
                let transmit = request::refresh(&self.config, id, &held.token);
                self.spent.remember(held.token.clone());
                (transmit, Some(held.token), None, None)
            }
            (_, refresh) => {
                let reason = match refresh {
                    RefreshState::Fresh => None,
                    RefreshState::Held(_) => Some(ReauthReason::RefreshTokenExpiring),
                    RefreshState::Lost(reason) => Some(reason),
                };
                let transmit = request::authenticate(&self.config, id);
                let key = (
                    self.config.api_key_id.clone(),
                    self.config.api_key_secret.clone(),
                );
                (transmit, None, reason, Some(key))
            }
        };
        let token_time_left = self
            .access
            .as_ref()
            .map(|token| token.usable_until.saturating_duration_since(now));
        let flight = InFlight {
            id,
            purpose: transmit.purpose,
            sent_at: now,
            deadline: later(now, self.config.policy.request_timeout),
            key_generation: self.key_generation,
            key,
            spent,
            reauth,
            token_time_left,
        };
        // Until an answer says otherwise, the session is what it would be
        // if this request failed.
        self.refresh = RefreshState::after_failed(&flight);
        self.link = Link::Sending(flight);
        Some(transmit)
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout)
    /// has something to do, on the driver's clock. Call it after draining
    /// `poll_transmit`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers().next()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ----- internals -------------------------------------------------------

    /// A request may go at `now`: started, nothing in flight, no wait under
    /// way, and no token that is still short of its refresh point.
    fn may_send(&self, now: Instant) -> bool {
        let link_free = match self.link {
            Link::Ready => true,
            Link::Waiting { until, .. } => until <= now,
            Link::Dormant | Link::Sending(_) | Link::Closed => false,
        };
        link_free
            && self
                .access
                .as_ref()
                .is_none_or(|token| token.refresh_at <= now)
    }

    /// Which endpoint the next request goes to.
    fn next_purpose(&self, now: Instant) -> Purpose {
        match &self.refresh {
            RefreshState::Held(held) if now < held.usable_until => Purpose::Refresh,
            _ => Purpose::Authenticate,
        }
    }

    fn timers(&self) -> TimerTable {
        let mut table = TimerTable::default();
        match &self.link {
            Link::Sending(flight) => table.set(Timer::RequestTimeout, Some(flight.deadline)),
            Link::Waiting { until, .. } => table.set(Timer::Retry, Some(*until)),
            Link::Ready => {
                let refresh_at = self.access.as_ref().map(|token| token.refresh_at);
                table.set(Timer::Refresh, refresh_at);
            }
            Link::Dormant | Link::Closed => {}
        }
        if let Some(token) = &self.access {
            table.set(Timer::Expiry, Some(token.usable_until));
        }
        table
    }

    fn take_in_flight(&mut self, id: RequestId) -> Option<InFlight> {
        if !matches!(&self.link, Link::Sending(flight) if flight.id == id) {
            return None;
        }
        match std::mem::replace(&mut self.link, Link::Ready) {
            Link::Sending(flight) => Some(flight),
            other => {
                self.link = other;
                None
            }
        }
    }

    /// The answer to `flight` is about the current API key: a login sent
    /// with the key the core holds now, or a refresh of a chain obtained
    /// since the last key change.
    fn for_current_key(&self, flight: &InFlight) -> bool {
        match &flight.key {
            Some((id, secret)) => {
                *id == self.config.api_key_id
                    && secret.expose_secret() == self.config.api_key_secret.expose_secret()
            }
            None => flight.key_generation == self.key_generation,
        }
    }

    fn apply(&mut self, flight: InFlight, verdict: Verdict, now: Instant) {
        let current_key = self.for_current_key(&flight);
        match (flight.purpose, verdict) {
            (_, Verdict::Granted(grant)) => self.accept(flight, grant, now),
            (_, Verdict::NotFound) => {
                self.refuse(AuthError::Misconfigured { status: 404 }, now);
            }
            (Purpose::Refresh, Verdict::Rejected { status, server }) => {
                let server = self.scrub(server, &flight);
                self.refresh_rejected(AuthError::RefreshRejected { status, server }, current_key);
            }
            (Purpose::Refresh, Verdict::BadRequest { server }) => {
                let server = self.scrub(Some(server), &flight);
                let error = AuthError::RefreshRejected {
                    status: 400,
                    server,
                };
                self.refresh_rejected(error, current_key);
            }
            (Purpose::Authenticate, Verdict::Rejected { status, server }) => {
                let server = self.scrub(server, &flight);
                self.refused_for_key(
                    AuthError::CredentialsRejected { status, server },
                    current_key,
                    now,
                );
            }
            (Purpose::Authenticate, Verdict::BadRequest { server }) => {
                let server = self.scrub(Some(server), &flight);
                self.refused_for_key(AuthError::InvalidRequest { server }, current_key, now);
            }
            (
                _,
                Verdict::RateLimited {
                    status,
                    retry_after,
                },
            ) => self.rate_limited(status, retry_after, now),
            (_, Verdict::ServerError { status, server }) => {
                let server = self.scrub(server, &flight);
                self.after_failure(AuthError::Server { status, server }, now);
            }
            (_, Verdict::Unexpected { status }) => {
                self.after_failure(AuthError::UnexpectedStatus { status }, now);
            }
            (_, Verdict::Invalid(invalid)) => {
                self.after_failure(AuthError::InvalidResponse(invalid), now);
            }
        }
    }

    /// The measurements of a finished exchange, reported after the events
    /// that its outcome caused.
    fn finished(flight: &InFlight, status: Option<u16>, now: Instant) -> Event {
        Event::RequestFinished {
            purpose: flight.purpose,
            status,
            latency: now.saturating_duration_since(flight.sent_at),
            token_time_left: flight.token_time_left,
        }
    }

    /// Servers sometimes echo what they were sent; make sure no secret of
    /// ours survives into an error, whole or cut.
    fn scrub(&self, server: Option<RawMessage>, flight: &InFlight) -> Option<ServerMessage> {
        let mut raw = server?;
        // No refresh token is held while a request is in flight: a refresh
        // carries its own (`spent`).
        let secrets: Vec<&str> = [
            Some(self.config.api_key_secret.expose_secret()),
            flight
                .key
                .as_ref()
                .map(|(_, secret)| secret.expose_secret()),
            flight.spent.as_ref().map(|token| token.expose_secret()),
            self.access
                .as_ref()
                .map(|token| token.secret.expose_secret()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let scrubbed = ServerMessage {
            message: scrub_server_text(&raw.message, &secrets),
            code: scrub_server_text(&raw.code, &secrets),
        };
        raw.message.zeroize();
        raw.code.zeroize();
        Some(scrubbed)
    }

    fn accept(&mut self, flight: InFlight, grant: Grant, now: Instant) {
        let policy = &self.config.policy;
        // Lifetimes count from when the request left, not when the answer
        // arrived: the server's clock started somewhere in between.
        let anchor = flight.sent_at;
        let floor = |lifetime: Duration| {
            policy
                .safety_floor
                .min(lifetime.mul_f64(policy.safety_floor_fraction))
        };
        let lifetime = grant.expires_in;
        let expires_at = later(anchor, lifetime);
        let usable_until = earlier(expires_at, floor(lifetime), anchor);
        let jitter = lifetime.mul_f64(policy.jitter * self.backoff.unit());
        let refresh_at = earlier(
            later(anchor, lifetime.mul_f64(policy.refresh_at)),
            jitter,
            anchor,
        );
        let refresh_expires_at = later(anchor, grant.refresh_expires_in);
        let refresh_usable_until =
            earlier(refresh_expires_at, floor(grant.refresh_expires_in), anchor);

        let generation =
            self.install_access(grant.access_token, expires_at, usable_until, refresh_at);
        self.refresh = if flight.key_generation == self.key_generation {
            // A chain obtained since the last key change (a login with a
            // key changed since and changed back still restarts the chain).
            RefreshState::Held(HeldRefresh {
                token: grant.refresh_token,
                usable_until: refresh_usable_until,
            })
        } else {
            // The old key's chain: serve the access token, but the next one
            // comes from the new key.
            RefreshState::Lost(ReauthReason::ApiKeyUpdated)
        };
        self.refusal = None;
        self.last_error = None;
        self.backoff.reset();

        let (expires_in, refresh_expires_in) = (grant.expires_in, grant.refresh_expires_in);
        self.push_event(match (flight.purpose, flight.reauth) {
            (Purpose::Refresh, _) => Event::Refreshed {
                generation,
                expires_in,
                refresh_expires_in,
            },
            (Purpose::Authenticate, None) => Event::Authenticated {
                generation,
                expires_in,
                refresh_expires_in,
            },
            (Purpose::Authenticate, Some(reason)) => Event::Reauthenticated {
                generation,
                expires_in,
                refresh_expires_in,
                reason,
            },
        });
        // An answer slower than the token's usable life is born expired.
        if usable_until <= now {
            self.expire(ExpiryCause::Lifetime);
        }
    }

    /// One rejected token gets a new one at once; tokens rejected back to
    /// back (an API that refuses every token, say for a missing permission)
    /// get the backoff schedule, so failing calls cannot drive a refresh
    /// each.
    fn slow_down_after_rejection(&mut self, now: Instant) {
        self.rejected_in_a_row = self.rejected_in_a_row.saturating_add(1);
        if self.rejected_in_a_row < 2 {
            return;
        }
        let error = AuthError::TokensRejected {
            in_a_row: self.rejected_in_a_row,
        };
        let delay = self.backoff.delay_after(self.rejected_in_a_row - 1);
        self.wait_until(later(now, delay));
        self.last_error = Some(error.clone());
        self.push_event(Event::RetryScheduled {
            error,
            delay,
            attempt: self.rejected_in_a_row - 1,
        });
    }

    /// No request before `until` (or before a later wait already under way):
    /// a backoff or the server's `Retry-After`, which a new API key does not
    /// cut short.
    fn wait_until(&mut self, until: Instant) {
        self.wait(until, true);
    }

    /// Adds a wait ending at `until`; `held` when a new API key must not cut
    /// it short. A request in flight, a dormant or a closed core have no
    /// wait to set.
    fn wait(&mut self, until: Instant, held: bool) {
        let (already, held_already) = match self.link {
            Link::Ready => (None, None),
            Link::Waiting { until, held_until } => (Some(until), held_until),
            _ => return,
        };
        let held_now = held.then_some(until);
        self.link = Link::Waiting {
            until: already.map_or(until, |already| already.max(until)),
            held_until: held_now.max(held_already),
        };
    }

    /// Serves a new access token under the next generation.
    fn install_access(
        &mut self,
        secret: AccessTokenSecret,
        expires_at: Instant,
        usable_until: Instant,
        refresh_at: Instant,
    ) -> TokenGeneration {
        self.last_generation += 1;
        let generation = TokenGeneration(self.last_generation);
        self.access_version += 1;
        self.access = Some(AccessToken {
            header: bearer_header(&secret),
            secret,
            generation,
            expires_at,
            usable_until,
            refresh_at,
        });
        generation
    }

    fn refresh_rejected(&mut self, error: AuthError, current_key: bool) {
        // One API-key exchange, right away: a rejected refresh token says
        // nothing about the API being overloaded. After a key change the
        // state already says why the next login happens.
        if current_key {
            self.refresh = RefreshState::Lost(ReauthReason::RefreshRejected);
        }
        self.retry_at_once(error);
    }

    /// The server refused an API-key login: a refusal for the current key;
    /// for a key replaced since, only a reason to log in with the new one.
    fn refused_for_key(&mut self, error: AuthError, current_key: bool, now: Instant) {
        if current_key {
            self.refuse(error, now);
        } else {
            self.retry_at_once(error);
        }
    }

    fn retry_at_once(&mut self, error: AuthError) {
        self.last_error = Some(error.clone());
        self.push_event(Event::RetryScheduled {
            error,
            delay: Duration::ZERO,
            attempt: self.backoff.failures(),
        });
    }

    /// Callers get `error` at once; the core waits on the slow schedule.
    fn refuse(&mut self, error: AuthError, now: Instant) {
        let policy = &self.config.policy;
        let in_a_row = self
            .refusal
            .as_ref()
            .map_or(1, |refusal| refusal.in_a_row.saturating_add(1));
        let delay = self.backoff.stretched(doubling(
            policy.refused_retry_base,
            policy.refused_retry_cap,
            in_a_row,
        ));
        // The slow wait, which a new API key cuts short.
        self.wait(later(now, delay), false);
        self.refusal = Some(Refusal {
            error: error.clone(),
            in_a_row,
        });
        self.last_error = Some(error.clone());
        self.push_event(Event::Failed { error });
    }

    fn rate_limited(&mut self, status: u16, retry_after: Option<RetryAfter>, now: Instant) {
        let backoff = self.backoff.next_delay();
        let policy = &self.config.policy;
        let asked = retry_after.and_then(|retry_after| match retry_after {
            RetryAfter::Delay(delay) => Some(delay),
            RetryAfter::Until(at) => {
                let wall_now = self.time.wall_at(now)?;
                Some(at.duration_since(wall_now).unwrap_or(Duration::ZERO))
            }
        });
        // The event reports the wait asked (capped); the core waits up to a
        // fifth longer, so a fleet refused at once does not return at once.
        let (delay, waited) = match asked {
            Some(asked) => {
                let wait = asked.max(policy.backoff_base).min(policy.retry_after_cap);
                (wait, self.backoff.stretched(wait))
            }
            None => {
                let wait = backoff.min(policy.retry_after_cap);
                (wait, wait)
            }
        };
        self.wait_until(later(now, waited));
        self.last_error = Some(AuthError::RateLimited { status });
        self.push_event(Event::RateLimited { status, delay });
    }

    fn after_failure(&mut self, error: AuthError, now: Instant) {
        let delay = self.backoff.next_delay();
        self.wait_until(later(now, delay));
        self.last_error = Some(error.clone());
        self.push_event(Event::RetryScheduled {
            error,
            delay,
            attempt: self.backoff.failures(),
        });
    }

    fn expire(&mut self, cause: ExpiryCause) {
        if let Some(token) = self.access.take() {
            self.access_version += 1;
            self.push_event(Event::Expired {
                generation: token.generation,
                cause,
            });
        }
    }

    fn shift_deadlines(&mut self, slept: Duration, now: Instant) {
        let shift = |at: Instant| earlier(at, slept, now.min(at));
        if let Some(token) = &mut self.access {
            self.access_version += 1;
            token.expires_at = shift(token.expires_at);
            token.usable_until = shift(token.usable_until);
            token.refresh_at = shift(token.refresh_at);
        }
        if let RefreshState::Held(held) = &mut self.refresh {
            held.usable_until = shift(held.usable_until);
        }
        match &mut self.link {
            Link::Sending(flight) => {
                flight.deadline = shift(flight.deadline);
                flight.sent_at = shift(flight.sent_at);
            }
            Link::Waiting { until, held_until } => {
                *until = shift(*until);
                *held_until = held_until.map(|held| shift(held).min(*until));
            }
            Link::Dormant | Link::Ready | Link::Closed => {}
        }
        if self
            .access
            .as_ref()
            .is_some_and(|token| token.usable_until <= now)
        {
            self.expire(ExpiryCause::Suspended);
        }
    }

    fn push_event(&mut self, event: Event) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
            self.dropped_events += 1;
        }
        self.events.push_back(event);
    }
}
