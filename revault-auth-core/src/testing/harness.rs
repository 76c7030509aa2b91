//! A deterministic harness: an [`AuthCore`], a [`ScriptedServer`] and a
//! virtual clock, in the spirit of quinn-proto's `Pair`. Time jumps straight
//! to the next deadline; nothing sleeps and nothing touches the network.
//!
//! The harness is also the oracle, and it does not ask the core what it
//! believes: it keeps its own clock (which a stale reading handed to the
//! core cannot move), its own list of requests outstanding, a record of what
//! the server answered, and the earliest instant the server allows the next
//! request at (`Retry-After`, the backoff floor, the slow schedule after a
//! refusal). Every pump checks the core against them.

use std::time::{Duration, Instant, SystemTime};

use http::Response;

use crate::Config;
use crate::core::AuthCore;
use crate::error::AuthError;
use crate::event::Event;
use crate::request::{Purpose, RequestId};
use crate::response::parse_grant;
use crate::saved::SavedTokens;
use crate::secret::{AccessToken, ApiKeySecret, RefreshToken};
use crate::testing::server::{Answer, Reply, ScriptedServer};

/// Rounds of one pump after which the core is in a busy loop.
const MAX_ROUNDS: u32 = 1000;

/// Stalls after which [`Harness::advance`] stops acting on deadlines.
const MAX_STALLS: u64 = 1000;

/// A virtual wall clock start: 2026-01-01T00:00:00Z.
const WALL_START: Duration = Duration::from_secs(1_767_225_600);

/// A request the harness sent and has not seen settled.
#[derive(Debug)]
struct Outstanding {
    id: RequestId,
    purpose: Purpose,
    /// The server's wall time when it left.
    sent: SystemTime,
    /// The API key it carried (`None` for a refresh).
    key: Option<ApiKey>,
}

/// An answer on its way back.
#[derive(Debug)]
struct Pending {
    arrives: Instant,
    id: RequestId,
    answer: Answer,
}

/// The harness. Its fields are public so tests can reach in.
#[derive(Debug)]
pub struct Harness {
    /// The core under test.
    pub core: AuthCore,
    /// The scripted server.
    pub server: ScriptedServer,
    /// Time between a request leaving and its answer arriving.
    pub latency: Duration,
    /// Every event with the virtual time it was polled at.
    pub events: Vec<(Duration, Event)>,
    /// Every request sent, with its virtual send time.
    pub sent: Vec<(Duration, Purpose)>,
    /// Times a deadline came due and the core did nothing with it (must stay 0).
    pub stalls: u64,
    /// Pumps cut short because the core kept producing work at one
    /// instant (a busy loop; must stay 0).
    pub busy_loops: u64,
    /// Requests sent while the harness still had one outstanding, not
    /// answered and within the request timeout (must stay 0).
    pub overlapping_requests: u64,
    /// Wake-ups at which the core served a token the server considers
    /// expired (must stay 0).
    pub expired_served: u64,
    /// `Failed` events with no refusing server answer behind them (must stay 0).
    pub unfounded_failures: u64,
    /// Requests sent before the server allowed (`Retry-After`, backoff
    /// floor, slow schedule after a refusal), with why (must stay empty).
    pub early_requests: Vec<String>,
    /// Refresh requests carrying a refresh token the core held when told
    /// the store's update lock was unavailable (must stay 0).
    pub given_up_sent: u64,
    epoch: Instant,
    now: Instant,
    slept: Duration,
    pending: Vec<Pending>,
    outstanding: Vec<Outstanding>,
    /// Refusals the server sent that a `Failed` event may follow: the
    /// status each one carries.
    refusals: Vec<u16>,
    /// The next request may not leave before this wall time, for this reason.
    not_before: Option<(SystemTime, String)>,
    /// The API key the core was last given.
    key: ApiKey,
    /// Refresh tokens held when the store's lock was reported unavailable.
    given_up: Vec<RefreshToken>,
}

impl Harness {
    /// A harness whose virtual time starts at `epoch` (the harness never
    /// reads a clock either: pass `Instant::now()` from your test). The
    /// server accepts the credentials in `config`.
    pub fn new(config: Config, epoch: Instant) -> Self {
        let server = ScriptedServer::for_config(&config);
        Self::with_server(config, server, epoch)
    }

    /// A harness with a server you configured.
    pub fn with_server(config: Config, server: ScriptedServer, epoch: Instant) -> Self {
        let key = ApiKey(config.api_key_id.clone(), config.api_key_secret.clone());
        Self {
            core: AuthCore::new(config, epoch),
            server,
            latency: Duration::from_millis(20),
            events: Vec::new(),
            sent: Vec::new(),
            stalls: 0,
            busy_loops: 0,
            overlapping_requests: 0,
            expired_served: 0,
            unfounded_failures: 0,
            early_requests: Vec::new(),
            given_up_sent: 0,
            epoch,
            now: epoch,
            slept: Duration::ZERO,
            pending: Vec::new(),
            outstanding: Vec::new(),
            refusals: Vec::new(),
            not_before: None,
            key,
            given_up: Vec::new(),
        }
    }

    /// The current virtual instant (the true one: stale readings handed to
    /// the core with [`step_back`](Self::step_back) never move it).
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Virtual time since the start, suspends excluded.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.epoch)
    }

    /// The virtual wall clock, which the server keeps: monotonic time plus
    /// time spent suspended.
    pub fn wall(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + WALL_START + self.elapsed() + self.slept
    }

    /// The token the core would hand out now.
    pub fn token(&self) -> Option<&AccessToken> {
        self.core.access_token(self.now)
    }

    /// Queues a scripted server answer.
    pub fn push(&mut self, reply: Reply) {
        self.server.push(reply);
    }

    /// Asks the core for a token and processes everything due now.
    pub fn start(&mut self) {
        self.core.start(self.now);
        self.pump();
    }

    /// Hands the core a new API key (the server must know it to accept
    /// it: see [`ScriptedServer::add_key`]) and processes what follows.
    pub fn update_api_key(&mut self, id: &str, secret: &str) {
        let now = self.now;
        if self
            .core
            .update_api_key(id, ApiKeySecret::new(secret), now)
            .is_ok()
        {
            self.key = ApiKey(id.to_owned(), ApiKeySecret::new(secret));
            // A new attempt is due at once after a refusal.
            self.not_before = self
                .not_before
                .take()
                .filter(|(_, why)| !why.starts_with("refused"));
        }
        self.pump();
    }

    /// Hands the core a snapshot ([`AuthCore::restore`]) read at the
    /// current instant and processes what follows. A restored session ends
    /// the slow wait after a refusal, not a `Retry-After` or a backoff.
    pub fn restore(&mut self, saved: SavedTokens) -> bool {
        let restored = self.core.restore(saved, self.now, self.wall());
        if restored {
            self.not_before = self
                .not_before
                .take()
                .filter(|(_, why)| !why.starts_with("refused"));
        }
        self.pump();
        restored
    }

    /// The driver could not take the token store's update lock: tells the
    /// core, and from then on counts any refresh request carrying the
    /// refresh token it held (read from its snapshot, when it has one).
    pub fn store_lock_unavailable(&mut self) {
        let held = self
            .core
            .export(self.now, self.wall())
            .and_then(|saved| saved.refresh_token);
        self.given_up.extend(held);
        self.core.handle_store_lock_unavailable(self.now);
        self.pump();
    }

    /// Processes everything due at the current instant: answers that have
    /// arrived, timers, requests to send, events to collect.
    pub fn pump(&mut self) {
        self.pump_at(self.now);
    }

    /// [`pump`](Self::pump), with `driver_now` as the instant the driver
    /// hands the core (older than the true one for a stale reading).
    fn pump_at(&mut self, driver_now: Instant) {
        for round in 0.. {
            if round == MAX_ROUNDS {
                self.busy_loops += 1;
                break;
            }
            let mut progress = false;
            let now = self.now;
            let wall = self.wall();
            let driver_wall = wall
                .checked_sub(now.saturating_duration_since(driver_now))
                .unwrap_or(wall);
            self.core.handle_wall_clock(driver_now, driver_wall);
            while let Some(index) = self.pending.iter().position(|p| p.arrives <= now) {
                let pending = self.pending.remove(index);
                self.deliver(pending, driver_now);
                progress = true;
            }
            self.core.handle_timeout(driver_now);
            let mut sends = 0;
            while let Some(transmit) = self.core.poll_transmit(driver_now) {
                sends += 1;
                if sends > MAX_ROUNDS {
                    self.busy_loops += 1;
                    return;
                }
                progress = true;
                self.check_send(transmit.purpose);
                self.sent.push((self.elapsed(), transmit.purpose));
                let id = transmit.id;
                if let Some(request) = transmit.request()
                    && self.carries_given_up(request)
                {
                    self.given_up_sent += 1;
                }
                let (answer, key) = match transmit.request() {
                    Some(request) => (self.server.answer(request, wall), key_of(request)),
                    None => (Answer::Silence, None),
                };
                if matches!(answer, Answer::Silence) {
                    // The core's own timeout, then at least one backoff.
                    let policy = self.core.config().policy();
                    let floor = policy.request_timeout + policy.backoff_base;
                    self.raise_floor(wall + floor, "backoff after a timeout");
                }
                self.outstanding.push(Outstanding {
                    id,
                    purpose: transmit.purpose,
                    sent: wall,
                    key,
                });
                if !matches!(answer, Answer::Silence) {
                    let arrives = now + self.latency;
                    self.pending.push(Pending {
                        arrives,
                        id,
                        answer,
                    });
                }
            }
            while let Some(event) = self.core.poll_event() {
                if let Event::Failed { error } = &event {
                    self.check_failure(error);
                }
                self.events.push((self.elapsed(), event));
                progress = true;
            }
            if !progress {
                break;
            }
        }
        if self.serves_expired_token() {
            self.expired_served += 1;
        }
    }

    /// Hands an answer to the core and records what the server said.
    fn deliver(&mut self, pending: Pending, driver_now: Instant) {
        let Pending { id, answer, .. } = pending;
        let sent = self
            .outstanding
            .iter()
            .position(|o| o.id == id)
            .map(|index| self.outstanding.remove(index));
        let wall = self.wall();
        match answer {
            Answer::Response(response) => {
                let floor = self.floor_after(&response, sent.as_ref());
                let refusal = self.refusal_status(&response, sent.as_ref());
                if self.core.handle_response(id, response, driver_now) {
                    if let Some((delay, why)) = floor {
                        self.raise_floor(wall + delay, why);
                    }
                    self.refusals.extend(refusal);
                }
            }
            Answer::TransportError(kind) => {
                if self.core.handle_transport_error(id, kind, driver_now) {
                    let base = self.core.config().policy().backoff_base;
                    self.raise_floor(wall + base, "backoff after a transport error");
                }
            }
            Answer::Silence => {}
        }
    }

    /// `request` is a refresh carrying a refresh token given up.
    fn carries_given_up(&self, request: &http::Request<Vec<u8>>) -> bool {
        let body: Option<serde_json::Value> = serde_json::from_slice(request.body()).ok();
        let sent = body
            .as_ref()
            .and_then(|body| body.get("refreshToken"))
            .and_then(serde_json::Value::as_str);
        sent.is_some_and(|sent| {
            self.given_up
                .iter()
                .any(|token| token.expose_secret() == sent)
        })
    }

    /// The least wait the server's answer imposes before the next request.
    fn floor_after(
        &self,
        response: &Response<Vec<u8>>,
        sent: Option<&Outstanding>,
    ) -> Option<(Duration, &'static str)> {
        let policy = self.core.config().policy();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let backoff = (policy.backoff_base, "backoff after a failure");
        match status {
            200 if parse_grant(response.body(), policy).is_ok() => None,
            420 | 429 => Some(match retry_after {
                Some(asked) => (
                    asked.max(policy.backoff_base).min(policy.retry_after_cap),
                    "Retry-After",
                ),
                None => (policy.backoff_base, "backoff after a rate limit"),
            }),
            503 => Some(match retry_after {
                Some(asked) => (
                    asked.max(policy.backoff_base).min(policy.retry_after_cap),
                    "Retry-After",
                ),
                None => backoff,
            }),
            400 | 401 | 403 | 404 => {
                let refused = self.refusal_status(response, sent).is_some();
                let refresh = sent.is_some_and(|o| o.purpose == Purpose::Refresh);
                match (refused, refresh, status) {
                    (true, _, _) => Some((policy.refused_retry_base, "refused: slow schedule")),
                    // A rejected refresh token: one API-key login at once.
                    (false, true, 401 | 403) => None,
                    (false, true, 400) if spec_error(response.body()) => None,
                    // An old key refused after a rotation: the new key at once.
                    (false, false, 401 | 403) => None,
                    (false, false, 400) if spec_error(response.body()) => None,
                    _ => Some(backoff),
                }
            }
            _ => Some(backoff),
        }
    }

    /// The status of an answer that refuses the core (the API key it used is
    /// still the current one), if this answer is one.
    fn refusal_status(
        &self,
        response: &Response<Vec<u8>>,
        sent: Option<&Outstanding>,
    ) -> Option<u16> {
        let status = response.status().as_u16();
        let sent = sent?;
        let current_key = sent.key.as_ref() == Some(&self.key);
        let login = sent.purpose == Purpose::Authenticate;
        match status {
            404 => Some(404),
            401 | 403 if login && current_key => Some(status),
            400 if login && current_key && spec_error(response.body()) => Some(400),
            _ => None,
        }
    }

    fn raise_floor(&mut self, at: SystemTime, why: &str) {
        if self
            .not_before
            .as_ref()
            .is_none_or(|(floor, _)| *floor < at)
        {
            self.not_before = Some((at, why.to_owned()));
        }
    }

    /// Checks a request about to leave against the harness's own records.
    fn check_send(&mut self, purpose: Purpose) {
        let wall = self.wall();
        let timeout = self.core.config().policy().request_timeout;
        // Requests the core has had time to give up on are settled.
        self.outstanding.retain(|o| wall < o.sent + timeout);
        if !self.outstanding.is_empty() {
            self.overlapping_requests += 1;
        }
        // A suspend the core detected can be up to the tolerance longer
        // than the one since the floor was set.
        let slack = self.core.config().policy().suspend_tolerance;
        if let Some((floor, why)) = self.not_before.take()
            && wall + slack + Duration::from_millis(1) < floor
        {
            let early = floor.duration_since(wall).unwrap_or_default();
            self.early_requests.push(format!(
                "{purpose:?} sent {early:?} before the end of: {why}"
            ));
        }
    }

    /// A `Failed` event must follow a refusal the server sent.
    fn check_failure(&mut self, error: &AuthError) {
        let status = match error {
            AuthError::CredentialsRejected { status, .. } => *status,
            AuthError::InvalidRequest { .. } => 400,
            AuthError::Misconfigured { status } => *status,
            _ => 0,
        };
        match self.refusals.iter().position(|s| *s == status) {
            Some(index) => {
                self.refusals.remove(index);
            }
            None => self.unfounded_failures += 1,
        }
    }

    /// The earliest instant at which something will happen.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let answer = self.pending.iter().map(|p| p.arrives).min();
        match (self.core.poll_timeout(), answer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Lets `duration` of virtual time pass, acting on every deadline on the
    /// way, in order; the oracle checks the core at every wake-up.
    pub fn advance(&mut self, duration: Duration) {
        let target = self.now + duration;
        loop {
            self.pump();
            match self.next_wakeup() {
                Some(at) if at <= target => {
                    if at <= self.now {
                        // A deadline the core reported but did not act on.
                        self.stalls += 1;
                        if self.stalls >= MAX_STALLS {
                            // Give up on this core (the invariants report
                            // the stalls) rather than crawl to `target`.
                            self.now = target;
                            self.pump();
                            return;
                        }
                        self.now += Duration::from_millis(1);
                    } else {
                        self.now = at;
                    }
                }
                _ => {
                    self.now = target;
                    self.pump();
                    return;
                }
            }
        }
    }

    /// Advances until `done` holds or `limit` passes; returns whether it held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let deadline = self.now + limit;
        self.pump();
        while !done(self) {
            if self.now >= deadline {
                return false;
            }
            let step = self
                .next_wakeup()
                .filter(|at| *at > self.now)
                .map_or(deadline, |at| at.min(deadline));
            self.advance(step.saturating_duration_since(self.now));
        }
        true
    }

    /// The process stalled (or the clock jumped): `duration` passes at once,
    /// with no chance to act on the deadlines in between.
    pub fn jump(&mut self, duration: Duration) {
        self.now += duration;
        self.pump();
    }

    /// The driver hands the core a stale reading, `duration` older than the
    /// true instant (read before waiting for a lock, say), together with
    /// the wall clock read at the same moment. The true clock, and the
    /// server's, do not move.
    pub fn step_back(&mut self, duration: Duration) {
        let stale = self.now.checked_sub(duration).unwrap_or(self.epoch);
        self.pump_at(stale);
    }

    /// The machine sleeps for `duration`: the wall clock moves, the
    /// monotonic clock does not.
    pub fn suspend(&mut self, duration: Duration) {
        self.slept += duration;
        self.pump();
    }

    /// Reports that revault-api answered 401 to the current token.
    pub fn reject_current_token(&mut self) -> bool {
        let Some(generation) = self.token().map(AccessToken::generation) else {
            return false;
        };
        let rejected = self.core.handle_rejected(generation, self.now);
        self.pump();
        rejected
    }

    /// Events collected so far, without their times.
    pub fn event_list(&self) -> Vec<Event> {
        self.events.iter().map(|(_, event)| event.clone()).collect()
    }

    /// True when the token the core serves now has really expired according
    /// to the server's own clock: the invariant that must never hold.
    pub fn serves_expired_token(&self) -> bool {
        self.token().is_some_and(|token| {
            self.server
                .access_expiry(token.secret().expose_secret())
                .is_none_or(|expiry| expiry <= self.wall())
        })
    }
}

/// An API key as the oracle keeps it: `Debug` never shows the secret.
#[derive(Debug)]
struct ApiKey(String, ApiKeySecret);

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 && self.1.expose_secret() == other.1.expose_secret()
    }
}

/// The API key an `/auth/token` request carried.
fn key_of(request: &http::Request<Vec<u8>>) -> Option<ApiKey> {
    let body: serde_json::Value = serde_json::from_slice(request.body()).ok()?;
    let field = |name: &str| body.get(name)?.as_str().map(str::to_owned);
    Some(ApiKey(
        field("apiKeyId")?,
        ApiKeySecret::new(field("apiKeySecret")?),
    ))
}

/// The spec's error body: an object with a string `message` and `code`.
fn spec_error(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|value| {
        value
            .get("message")
            .is_some_and(serde_json::Value::is_string)
            && value.get("code").is_some_and(serde_json::Value::is_string)
    })
}
