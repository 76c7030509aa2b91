//! [`AuthCore`]: the state machine. See the crate docs for the drive loop.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use http::Response;
use zeroize::Zeroize;

use crate::backoff::Backoff;
use crate::config::Config;
use crate::error::{AuthError, ConfigError, ServerMessage, TransportErrorKind};
use crate::event::{Event, ExpiryCause, ReauthReason};
use crate::publish::slept_between;
use crate::request::{self, Purpose, RequestId, Transmit};
use crate::response::{self, Grant, RetryAfter, Verdict};
use crate::saved::{SAVED_FORMAT, SavedTokens, from_unix_ms, to_unix_ms};
use crate::secret::{
    AccessToken, AccessTokenSecret, ApiKeySecret, RefreshToken, TokenGeneration, bearer_header,
};
use crate::timer::{Timer, TimerTable};

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
    /// A terminal error; see [`AuthCore::failure`].
    Failed,
    /// [`AuthCore::close`] was called.
    Closed,
}

struct HeldRefresh {
    token: RefreshToken,
    usable_until: Instant,
}

struct InFlight {
    id: RequestId,
    purpose: Purpose,
    sent_at: Instant,
    deadline: Instant,
    /// The refresh token this request spent; kept only to scrub it from
    /// whatever the server answers, never sent again.
    spent: Option<RefreshToken>,
    /// Why this `/auth/token` is a re-authentication, if it is one.
    reauth: Option<ReauthReason>,
    /// How long the served token had left when this request left.
    token_time_left: Option<Duration>,
}

/// The sans-IO token manager. See the crate docs for the method kinds and
/// the order in which to drain them.
pub struct AuthCore {
    config: Config,
    started: bool,
    closed: bool,
    failure: Option<AuthError>,
    last_error: Option<AuthError>,
    access: Option<AccessToken>,
    /// Bumped whenever `access` changes, deadlines included.
    access_version: u64,
    refresh: Option<HeldRefresh>,
    refresh_lost: Option<ReauthReason>,
    in_flight: Option<InFlight>,
    retry_at: Option<Instant>,
    backoff: Backoff,
    /// Tokens revault-api rejected before they reached their refresh point,
    /// back to back.
    rejected_in_a_row: u32,
    events: VecDeque<Event>,
    dropped_events: u64,
    next_request: u64,
    last_generation: u64,
    /// The core's own time: never moves backwards, and keeps advancing
    /// after the driver's clock steps back (see [`AuthCore::observe`]).
    last_now: Instant,
    /// The last `now` the driver passed, as it passed it.
    last_raw_now: Instant,
    /// Total distance the driver's clock has stepped back.
    stepped_back: Duration,
    wall_anchor: Option<(Instant, SystemTime)>,
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
            .field(
                "in_flight",
                &self.in_flight.as_ref().map(|f| (f.id, f.purpose)),
            )
            .field("retry_at", &self.retry_at)
            .field("failure", &self.failure)
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
    pub fn new(config: Config, now: Instant) -> Self {
        let policy = &config.policy;
        let backoff = Backoff::new(policy.backoff_base, policy.backoff_cap, policy.seed);
        Self {
            started: config.eager,
            config,
            closed: false,
            failure: None,
            last_error: None,
            access: None,
            access_version: 0,
            refresh: None,
            refresh_lost: None,
            in_flight: None,
            retry_at: None,
            backoff,
            rejected_in_a_row: 0,
            events: VecDeque::new(),
            dropped_events: 0,
            next_request: 1,
            last_generation: 0,
            last_now: now,
            last_raw_now: now,
            stepped_back: Duration::ZERO,
            wall_anchor: None,
            saved_version: None,
            saved_token_version: None,
        }
    }

    // ----- getters ---------------------------------------------------------

    /// The token to use now, if one is valid. `None` inside the safety floor
    /// before expiry, after a rejection, while none has been obtained, and
    /// after [`close`](Self::close). A `now` older than one the core has seen
    /// is treated as the newer one, so a clock stepping back cannot revive a
    /// token.
    pub fn access_token(&self, now: Instant) -> Option<&AccessToken> {
        let now = self.internal(now).max(self.last_now);
        self.access_token_internal(now)
    }

    /// The token usable at `now` in the core's time.
    fn access_token_internal(&self, now: Instant) -> Option<&AccessToken> {
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
        if self.closed {
            return Phase::Closed;
        }
        if self.failure.is_some() {
            return Phase::Failed;
        }
        match (&self.in_flight, &self.access, self.retry_at) {
            (Some(flight), _, _) if flight.purpose == Purpose::Refresh => Phase::Refreshing,
            (Some(_), _, _) => Phase::Authenticating,
            (None, Some(_), _) => Phase::Ready,
            (None, None, Some(_)) => Phase::Waiting,
            (None, None, None) if self.started => Phase::Authenticating,
            (None, None, None) => Phase::Idle,
        }
    }

    /// The terminal error, if the core gave up.
    pub fn failure(&self) -> Option<&AuthError> {
        self.failure.as_ref()
    }

    /// The most recent failure since the last token arrived, transient or
    /// not: what a caller that gave up waiting wants to report.
    pub fn last_error(&self) -> Option<&AuthError> {
        self.last_error.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The request in flight, if any (there is never more than one).
    pub fn in_flight(&self) -> Option<(RequestId, Purpose)> {
        self.in_flight.as_ref().map(|f| (f.id, f.purpose))
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
        let now = self.observe(now);
        let table = self.timers();
        for timer in table.due(now) {
            match timer {
                Timer::RequestTimeout => {
                    if let Some(flight) = self.in_flight.take() {
                        let finished = Self::finished(&flight, None, now);
                        self.after_failure(flight, AuthError::Timeout, now);
                        self.push_event(finished);
                    }
                }
                Timer::Retry => self.retry_at = None,
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
        let now = self.observe(now);
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
        let now = self.observe(now);
        let Some(flight) = self.take_in_flight(id) else {
            return false;
        };
        let finished = Self::finished(&flight, None, now);
        self.after_failure(flight, AuthError::Transport(kind), now);
        self.push_event(finished);
        true
    }

    /// revault-api answered 401 to a call made with token `generation`. Drops
    /// that token if it is still the current one and returns `true`; reports
    /// about older tokens change nothing.
    pub fn handle_rejected(&mut self, generation: TokenGeneration, now: Instant) -> bool {
        self.observe(now);
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

    /// The wall clock, read by the driver together with `now`. Monotonic
    /// clocks stop while a machine sleeps; when the wall clock has run ahead
    /// by more than the tolerance, the core moves every deadline earlier by
    /// the difference, so a token never outlives a suspend.
    pub fn handle_wall_clock(&mut self, now: Instant, wall: SystemTime) {
        let now = self.observe(now);
        let tolerance = self.config.policy.suspend_tolerance;
        if let Some(slept) = self
            .wall_anchor
            .and_then(|then| slept_between(then, (now, wall), tolerance))
        {
            self.shift_deadlines(slept, now);
        }
        self.wall_anchor = Some((now, wall));
    }

    // ----- commands --------------------------------------------------------

    /// Obtain a token now rather than waiting for demand. Idempotent.
    pub fn start(&mut self, now: Instant) {
        self.observe(now);
        self.started = true;
    }

    /// Replaces the API key (rotation, or recovery after
    /// [`AuthError::CredentialsRejected`]). Clears a terminal failure; the
    /// current access token keeps being served until it is due, and the next
    /// token comes from the new key.
    pub fn update_api_key(
        &mut self,
        api_key_id: impl Into<String>,
        api_key_secret: ApiKeySecret,
        now: Instant,
    ) -> Result<(), ConfigError> {
        self.observe(now);
        let api_key_id = api_key_id.into();
        crate::config::check_api_key(&api_key_id, &api_key_secret)?;
        self.config.api_key_id = api_key_id;
        self.config.api_key_secret = api_key_secret;
        self.failure = None;
        self.retry_at = None;
        self.backoff.reset();
        self.refresh = None;
        if self.last_generation > 0 {
            self.refresh_lost = Some(ReauthReason::ApiKeyUpdated);
        }
        self.started = true;
        Ok(())
    }

    /// Stops for good: drops every secret and sends nothing more.
    pub fn close(&mut self) {
        self.closed = true;
        self.access = None;
        self.access_version += 1;
        self.refresh = None;
        self.in_flight = None;
        self.retry_at = None;
    }

    // ----- persistence -----------------------------------------------------

    /// A snapshot of the current usable access token and the unspent
    /// refresh token, for a token store; `None` when no access token is
    /// usable at `now`. Deadlines are converted to wall time through the
    /// `now`/`wall` pair (read together by the driver). Its `version` is
    /// [`saved_version`](Self::saved_version) (0 if none).
    pub fn export(&self, now: Instant, wall: SystemTime) -> Option<SavedTokens> {
        let now = self.internal(now).max(self.last_now);
        let token = self.access_token_internal(now)?;
        let unix = |at: Instant| to_unix_ms(at, now, wall);
        let refresh = self.refresh.as_ref();
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
        })
    }

    /// Installs tokens from a store: the access token when it is still
    /// usable at `wall`, and the refresh token when it is (even if the
    /// access token is not). Refused (returns `false`, changing nothing)
    /// when the format, workspace or API key id differ, when a request is
    /// in flight (its answer brings newer tokens), after a terminal failure
    /// or [`close`](Self::close), or when nothing in `saved` is usable.
    ///
    /// An installed access token gets a new generation and
    /// [`Event::Restored`]; its deadlines count in wall time, so a token
    /// saved 200 s into a 300 s life expires 100 s after the restore.
    /// Records `saved.version` as [`saved_version`](Self::saved_version).
    pub fn restore(&mut self, saved: SavedTokens, now: Instant, wall: SystemTime) -> bool {
        let now = self.observe(now);
        let acceptable = saved.format == SAVED_FORMAT
            && saved.workspace == self.config.workspace
            && saved.api_key_id == self.config.api_key_id
            && !self.closed
            && self.failure.is_none()
            && self.in_flight.is_none()
            && response::usable_token(saved.access_token.expose_secret());
        if !acceptable {
            return false;
        }
        let access_usable = saved.access_usable_at(wall);
        let refresh_usable = saved.refresh_usable_at(wall)
            && saved
                .refresh_token
                .as_ref()
                .is_some_and(|token| response::usable_token(token.expose_secret()));
        if !access_usable && !refresh_usable {
            return false;
        }
        let instant = |unix: u64| from_unix_ms(unix, now, wall);
        if let Some(token) = saved.refresh_token.filter(|_| refresh_usable) {
            self.refresh = Some(HeldRefresh {
                token,
                usable_until: instant(saved.refresh_usable_until_unix_ms),
            });
            self.refresh_lost = None;
        }
        if access_usable {
            let usable_until = instant(saved.access_usable_until_unix_ms);
            let expires_at = instant(saved.access_expires_at_unix_ms).max(usable_until);
            let refresh_at = instant(saved.access_refresh_at_unix_ms).min(usable_until);
            let generation =
                self.install_access(saved.access_token, expires_at, usable_until, refresh_at);
            self.retry_at = None;
            self.last_error = None;
            self.backoff.reset();
            self.push_event(Event::Restored { generation });
        }
        self.saved_version = Some(saved.version);
        self.saved_token_version = Some(self.access_version);
        true
    }

    /// What [`poll_transmit`](Self::poll_transmit) would send at `now`,
    /// without sending it: a driver sharing a token store checks the store
    /// (and [`restore`](Self::restore)s a newer snapshot) right before a
    /// refresh, so two processes do not both spend one refresh token.
    pub fn due(&self, now: Instant) -> Option<Purpose> {
        let now = self.internal(now).max(self.last_now);
        if self.closed || self.failure.is_some() || !self.started || self.in_flight.is_some() {
            return None;
        }
        if self.retry_at.is_some_and(|retry_at| retry_at > now) {
            return None;
        }
        if self
            .access
            .as_ref()
            .is_some_and(|token| now < token.refresh_at)
        {
            return None;
        }
        match &self.refresh {
            Some(held) if now < held.usable_until => Some(Purpose::Refresh),
            _ => Some(Purpose::Authenticate),
        }
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
        let now = self.observe(now);
        if self.closed || self.failure.is_some() || !self.started || self.in_flight.is_some() {
            return None;
        }
        if let Some(retry_at) = self.retry_at {
            if retry_at > now {
                return None;
            }
            self.retry_at = None;
        }
        if self
            .access
            .as_ref()
            .is_some_and(|token| now < token.refresh_at)
        {
            return None;
        }
        if self.access.is_some() {
            // This token lived to its refresh point unrejected.
            self.rejected_in_a_row = 0;
        }
        let id = RequestId(self.next_request);
        self.next_request += 1;
        let refresh = self.refresh.take();
        let (transmit, spent, reauth) = match refresh {
            Some(held) if now < held.usable_until => {
                let transmit = request::refresh(&self.config, id, &held.token);
                (transmit, Some(held.token), None)
            }
            expiring => {
                let reason = match expiring {
                    Some(_) => Some(ReauthReason::RefreshTokenExpiring),
                    None => self.refresh_lost.take(),
                };
                (request::authenticate(&self.config, id), None, reason)
            }
        };
        let token_time_left = self
            .access
            .as_ref()
            .map(|token| token.usable_until.saturating_duration_since(now));
        self.in_flight = Some(InFlight {
            id,
            purpose: transmit.purpose,
            sent_at: now,
            deadline: later(now, self.config.policy.request_timeout),
            spent,
            reauth,
            token_time_left,
        });
        Some(transmit)
    }

    /// The earliest deadline at which [`handle_timeout`](Self::handle_timeout)
    /// has something to do. Call it after draining `poll_transmit`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        // Back into the driver's clock, which may run behind ours.
        let next = self.timers().next()?;
        Some(next.checked_sub(self.stepped_back).unwrap_or(next))
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ----- internals -------------------------------------------------------

    /// Turns the driver's `now` into the core's time. A clock that steps
    /// back does not freeze the core until it catches up (which would serve
    /// tokens past their real expiry): the core counts the step and keeps
    /// advancing from where it was.
    fn observe(&mut self, now: Instant) -> Instant {
        if let Some(step) = self.last_raw_now.checked_duration_since(now) {
            self.stepped_back = self.stepped_back.saturating_add(step);
        }
        self.last_raw_now = now;
        self.last_now = self.last_now.max(later(now, self.stepped_back));
        self.last_now
    }

    /// The core's time for a driver `now`, without recording it.
    fn internal(&self, now: Instant) -> Instant {
        if now < self.last_raw_now {
            self.last_now
        } else {
            later(now, self.stepped_back)
        }
    }

    fn timers(&self) -> TimerTable {
        let mut table = TimerTable::default();
        if let Some(flight) = &self.in_flight {
            table.set(Timer::RequestTimeout, Some(flight.deadline));
        }
        let may_send =
            !self.closed && self.failure.is_none() && self.started && self.in_flight.is_none();
        if may_send {
            match (self.retry_at, &self.access) {
                (Some(retry_at), _) => table.set(Timer::Retry, Some(retry_at)),
                (None, Some(token)) => table.set(Timer::Refresh, Some(token.refresh_at)),
                (None, None) => {}
            }
        }
        if let Some(token) = &self.access {
            table.set(Timer::Expiry, Some(token.usable_until));
        }
        table
    }

    fn take_in_flight(&mut self, id: RequestId) -> Option<InFlight> {
        if self.in_flight.as_ref().is_some_and(|f| f.id == id) {
            self.in_flight.take()
        } else {
            None
        }
    }

    fn apply(&mut self, flight: InFlight, verdict: Verdict, now: Instant) {
        let scrub = |server: Option<ServerMessage>| self.scrub(server, &flight);
        match (flight.purpose, verdict) {
            (_, Verdict::Granted(grant)) => self.accept(flight, grant, now),
            (Purpose::Refresh, Verdict::Rejected { status, server }) => {
                let error = AuthError::RefreshRejected {
                    status,
                    server: scrub(server),
                };
                self.refresh_rejected(error);
            }
            (Purpose::Refresh, Verdict::BadRequest { server }) => {
                let error = AuthError::RefreshRejected {
                    status: 400,
                    server: scrub(server),
                };
                self.refresh_rejected(error);
            }
            (Purpose::Authenticate, Verdict::Rejected { status, server }) => {
                let server = scrub(server);
                self.fail(AuthError::CredentialsRejected { status, server });
            }
            (Purpose::Authenticate, Verdict::BadRequest { server }) => {
                let server = scrub(server);
                self.fail(AuthError::InvalidRequest { server });
            }
            (
                _,
                Verdict::RateLimited {
                    status,
                    retry_after,
                },
            ) => self.rate_limited(flight, status, retry_after, now),
            (_, Verdict::ServerError { status, server }) => {
                let server = scrub(server);
                self.after_failure(flight, AuthError::Server { status, server }, now);
            }
            (_, Verdict::Unexpected { status }) => {
                self.after_failure(flight, AuthError::UnexpectedStatus { status }, now);
            }
            (_, Verdict::Invalid(invalid)) => {
                self.after_failure(flight, AuthError::InvalidResponse(invalid), now);
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
    /// ours survives into an error.
    fn scrub(&self, server: Option<ServerMessage>, flight: &InFlight) -> Option<ServerMessage> {
        let mut server = server?;
        let secrets = [
            Some(self.config.api_key_secret.expose_secret()),
            flight.spent.as_ref().map(RefreshToken::expose_secret),
            self.refresh.as_ref().map(|held| held.token.expose_secret()),
            self.access
                .as_ref()
                .map(|token| token.secret.expose_secret()),
        ];
        for secret in secrets.into_iter().flatten() {
            for text in [&mut server.message, &mut server.code] {
                if text.contains(secret) {
                    *text = text.replace(secret, "[redacted]");
                }
            }
        }
        Some(server)
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
        let first = generation.0 == 1;
        self.refresh = Some(HeldRefresh {
            token: grant.refresh_token,
            usable_until: refresh_usable_until,
        });
        self.refresh_lost = None;
        self.retry_at = None;
        self.last_error = None;
        self.backoff.reset();

        let (expires_in, refresh_expires_in) = (grant.expires_in, grant.refresh_expires_in);
        self.push_event(match (flight.purpose, first) {
            (Purpose::Refresh, _) => Event::Refreshed {
                generation,
                expires_in,
                refresh_expires_in,
            },
            (Purpose::Authenticate, true) => Event::Authenticated {
                generation,
                expires_in,
                refresh_expires_in,
            },
            (Purpose::Authenticate, false) => Event::Reauthenticated {
                generation,
                expires_in,
                refresh_expires_in,
                reason: flight.reauth.unwrap_or(ReauthReason::RefreshTokenSpent),
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
        let retry_at = later(now, delay);
        self.retry_at = Some(self.retry_at.map_or(retry_at, |at| at.max(retry_at)));
        self.last_error = Some(error.clone());
        self.push_event(Event::RetryScheduled {
            error,
            delay,
            attempt: self.rejected_in_a_row - 1,
        });
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

    fn refresh_rejected(&mut self, error: AuthError) {
        // One API-key exchange, right away: a rejected refresh token says
        // nothing about the API being overloaded.
        self.refresh = None;
        self.refresh_lost = Some(ReauthReason::RefreshRejected);
        self.last_error = Some(error.clone());
        self.push_event(Event::RetryScheduled {
            error,
            delay: Duration::ZERO,
            attempt: self.backoff.failures(),
        });
    }

    fn rate_limited(
        &mut self,
        flight: InFlight,
        status: u16,
        retry_after: Option<RetryAfter>,
        now: Instant,
    ) {
        self.note_lost_refresh(&flight);
        let backoff = self.backoff.next_delay();
        let policy = &self.config.policy;
        let asked = retry_after.and_then(|retry_after| match retry_after {
            RetryAfter::Delay(delay) => Some(delay),
            RetryAfter::Until(at) => {
                let (then, wall_then) = self.wall_anchor?;
                let wall_now = wall_then.checked_add(now.saturating_duration_since(then))?;
                Some(at.duration_since(wall_now).unwrap_or(Duration::ZERO))
            }
        });
        let delay = asked
            .map(|asked| asked.max(policy.backoff_base))
            .unwrap_or(backoff)
            .min(policy.retry_after_cap);
        self.retry_at = Some(later(now, delay));
        self.last_error = Some(AuthError::RateLimited { status });
        self.push_event(Event::RateLimited { status, delay });
    }

    fn after_failure(&mut self, flight: InFlight, error: AuthError, now: Instant) {
        self.note_lost_refresh(&flight);
        let delay = self.backoff.next_delay();
        self.retry_at = Some(later(now, delay));
        self.last_error = Some(error.clone());
        self.push_event(Event::RetryScheduled {
            error,
            delay,
            attempt: self.backoff.failures(),
        });
    }

    /// A request that failed without a usable answer: if it was a refresh,
    /// its token is spent and the next attempt uses the API key; if it was a
    /// re-authentication, its reason carries over to the next attempt.
    fn note_lost_refresh(&mut self, flight: &InFlight) {
        self.refresh_lost = match flight.purpose {
            Purpose::Refresh => Some(ReauthReason::RefreshTokenSpent),
            Purpose::Authenticate => flight.reauth,
        };
    }

    fn fail(&mut self, error: AuthError) {
        self.failure = Some(error.clone());
        self.last_error = Some(error.clone());
        self.retry_at = None;
        self.refresh = None;
        self.push_event(Event::Failed { error });
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
        if let Some(held) = &mut self.refresh {
            held.usable_until = shift(held.usable_until);
        }
        if let Some(flight) = &mut self.in_flight {
            flight.deadline = shift(flight.deadline);
        }
        self.retry_at = self.retry_at.map(shift);
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
