//! A deterministic harness: an [`AuthCore`], a [`ScriptedServer`] and a
//! virtual clock, in the spirit of quinn-proto's `Pair`. Time jumps straight
//! to the next deadline; nothing sleeps and nothing touches the network.

use std::time::{Duration, Instant, SystemTime};

use crate::Config;
use crate::core::AuthCore;
use crate::event::Event;
use crate::request::{Purpose, RequestId};
use crate::secret::AccessToken;
use crate::testing::server::{Answer, Reply, ScriptedServer};

/// A virtual wall clock start: 2026-01-01T00:00:00Z.
const WALL_START: Duration = Duration::from_secs(1_767_225_600);

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
    /// Times the core offered a request while another was in flight (must stay 0).
    pub overlapping_requests: u64,
    epoch: Instant,
    now: Instant,
    slept: Duration,
    pending: Vec<(Instant, RequestId, Answer)>,
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
        Self {
            core: AuthCore::new(config, epoch),
            server,
            latency: Duration::from_millis(20),
            events: Vec::new(),
            sent: Vec::new(),
            stalls: 0,
            overlapping_requests: 0,
            epoch,
            now: epoch,
            slept: Duration::ZERO,
            pending: Vec::new(),
        }
    }

    /// The current virtual instant.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Virtual time since the start, suspends excluded.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.epoch)
    }

    /// The virtual wall clock: monotonic time plus time spent suspended.
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

    /// Processes everything due at the current instant: answers that have
    /// arrived, timers, requests to send, events to collect.
    pub fn pump(&mut self) {
        loop {
            let mut progress = false;
            let now = self.now;
            let wall = self.wall();
            self.core.handle_wall_clock(now, wall);
            while let Some(index) = self.pending.iter().position(|(at, _, _)| *at <= now) {
                let (_, id, answer) = self.pending.remove(index);
                match answer {
                    Answer::Response(response) => {
                        self.core.handle_response(id, response, now);
                    }
                    Answer::TransportError(kind) => {
                        self.core.handle_transport_error(id, kind, now);
                    }
                    Answer::Silence => {}
                }
                progress = true;
            }
            self.core.handle_timeout(now);
            loop {
                let busy = self.core.in_flight().is_some();
                let Some(transmit) = self.core.poll_transmit(now) else {
                    break;
                };
                if busy {
                    self.overlapping_requests += 1;
                }
                progress = true;
                self.sent.push((self.elapsed(), transmit.purpose));
                let id = transmit.id;
                let answer = match transmit.request() {
                    Some(request) => self.server.answer(request, wall),
                    None => Answer::Silence,
                };
                if !matches!(answer, Answer::Silence) {
                    self.pending.push((now + self.latency, id, answer));
                }
            }
            while let Some(event) = self.core.poll_event() {
                self.events.push((self.elapsed(), event));
                progress = true;
            }
            if !progress {
                return;
            }
        }
    }

    /// The earliest instant at which something will happen.
    pub fn next_wakeup(&self) -> Option<Instant> {
        let answer = self.pending.iter().map(|(at, _, _)| *at).min();
        match (self.core.poll_timeout(), answer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Lets `duration` of virtual time pass, acting on every deadline on the
    /// way, in order.
    pub fn advance(&mut self, duration: Duration) {
        let target = self.now + duration;
        loop {
            self.pump();
            match self.next_wakeup() {
                Some(at) if at <= target => {
                    if at <= self.now {
                        // A deadline the core reported but did not act on.
                        self.stalls += 1;
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

    /// The monotonic clock reads `duration` earlier than before (a broken
    /// clock); the wall clock follows it.
    pub fn step_back(&mut self, duration: Duration) {
        self.now = self
            .now
            .checked_sub(duration)
            .unwrap_or(self.epoch)
            .max(self.epoch);
        self.pump();
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
