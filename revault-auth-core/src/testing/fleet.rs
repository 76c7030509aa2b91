//! A fleet of cores against one scripted server, on one virtual clock: the
//! managers of a service, deployed together, through an outage and a
//! rate-limit storm. Nothing sleeps and nothing touches the network; time
//! jumps from one member's deadline to the next.
//!
//! The server in front of the [`ScriptedServer`] is what a fleet meets in
//! production: a rate limiter (so many requests per second of the server's
//! clock, then `429` with one `Retry-After` for everybody), and an outage
//! window in which every connection is refused. The figures in
//! [`FleetReport`] are measured where the server stands: when requests
//! arrived, what it answered, and whether a token a member served had
//! expired by the server's clock.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant, SystemTime};

use http::Response;

use crate::core::AuthCore;
use crate::error::TransportErrorKind;
use crate::request::RequestId;
use crate::secret::ApiKeySecret;
use crate::testing::server::{Answer, ScriptedServer};
use crate::{Config, Event};

/// A virtual wall clock start: 2026-01-01T00:00:00Z.
const WALL_START: Duration = Duration::from_secs(1_767_225_600);

/// What happens to the fleet, in virtual time from the deploy.
#[derive(Clone, Debug)]
pub struct FleetScenario {
    /// Managers in the fleet.
    pub managers: usize,
    /// Every manager starts within this long of the first (a deploy).
    pub deploy_spread: Duration,
    /// Requests the server accepts per second of its clock; the rest get
    /// `429` with [`retry_after`](Self::retry_after).
    pub rate_limit: u32,
    /// The `Retry-After` of every `429`.
    pub retry_after: Duration,
    /// When the outage starts, and how long every connection is refused.
    pub outage: (Duration, Duration),
    /// When revault-api starts rejecting every token issued so far (a
    /// rate-limit storm follows: every manager needs a new one at once)...
    pub storm_at: Duration,
    /// ...and within how long every manager's callers have reported it.
    pub storm_spread: Duration,
    /// How long the simulation runs.
    pub duration: Duration,
    /// Seeds the start times, latencies and each manager's entropy.
    pub seed: u64,
    /// Every manager gets the same entropy: a fleet in lockstep, to show
    /// what the jitter is for.
    pub lockstep: bool,
}

impl Default for FleetScenario {
    /// 1,000 managers, 50 requests/s then `Retry-After: 10`, a 60 s outage
    /// at 700 s (in the deploy's third wave of refreshes), a storm at
    /// 25 min, one hour in all.
    fn default() -> Self {
        Self {
            managers: 1000,
            deploy_spread: Duration::from_secs(1),
            rate_limit: 50,
            retry_after: Duration::from_secs(10),
            outage: (Duration::from_secs(700), Duration::from_secs(60)),
            storm_at: Duration::from_secs(1500),
            storm_spread: Duration::from_secs(1),
            duration: Duration::from_secs(3600),
            seed: 0xf1ee7,
            lockstep: false,
        }
    }
}

/// How the managers refused with one `Retry-After` within one second came
/// back.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReturnSpread {
    /// Managers refused in that second.
    pub managers: usize,
    /// The shortest wait between a manager receiving the `429` and its next
    /// request reaching the server.
    pub shortest_wait: Duration,
    /// The longest such wait.
    pub longest_wait: Duration,
    /// From the first of those next requests to the last.
    pub window: Duration,
}

/// What the server saw.
#[derive(Clone, Debug, Default)]
pub struct FleetReport {
    /// Requests that reached the server (refused ones included).
    pub requests: u64,
    /// Requests the rate limiter let through.
    pub accepted: u64,
    /// Requests answered `429`.
    pub rate_limited: u64,
    /// Requests refused by the outage.
    pub refused_in_outage: u64,
    /// `requests` per hour of virtual time.
    pub requests_per_hour: f64,
    /// Requests that reached the server in each second after the outage
    /// ended, until a minute after the last manager that lost its token in
    /// it held one again.
    pub after_outage: Vec<u32>,
    /// The managers refused in the deploy's first second.
    pub deploy_returns: ReturnSpread,
    /// The managers refused in the storm's first second.
    pub storm_returns: ReturnSpread,
    /// Every wait between a `429` and the next request of that manager
    /// that was shorter than its `Retry-After` (must be 0).
    pub early_returns: u64,
    /// The longest time any manager, once started, had no usable token...
    pub longest_without_token: Duration,
    /// ...and when that time began.
    pub longest_without_token_from: Duration,
    /// Wake-ups at which a manager served a token the server considers
    /// expired (must be 0).
    pub expired_served: u64,
    /// Refresh tokens that reached the server twice (must be 0).
    pub refresh_reuse: u64,
    /// Requests sent while the same manager had one unanswered (must be 0).
    pub overlapping: u64,
}

impl FleetReport {
    /// A manager had no usable token from `since` to `until`.
    fn note_gap(&mut self, since: Duration, until: Duration) {
        let gap = until.saturating_sub(since);
        if gap > self.longest_without_token {
            self.longest_without_token = gap;
            self.longest_without_token_from = since;
        }
    }

    /// The busiest second's share of the requests after the outage.
    pub fn busiest_share_after_outage(&self) -> f64 {
        let total: u64 = self.after_outage.iter().map(|n| u64::from(*n)).sum();
        let busiest = self.after_outage.iter().max().copied().unwrap_or(0);
        if total == 0 {
            0.0
        } else {
            f64::from(busiest) / total as f64
        }
    }
}

/// One manager of the fleet.
struct Member {
    core: AuthCore,
    latency: Duration,
    start_at: Duration,
    started: bool,
    /// When its callers report the storm's rejection.
    report_at: Option<Duration>,
    /// Answers on their way back: (arrives, id, answer).
    pending: Vec<(Duration, RequestId, Answer)>,
    /// Since when it has had no usable token.
    without_token_since: Option<Duration>,
    /// The last `429` it received: (when, the wait asked).
    refused_at: Option<(Duration, Duration)>,
    /// The wake-up time queued for it.
    wake: Option<Duration>,
}

/// A `429` a member received and its next request: (received, next).
type Return = (Duration, Duration);

/// Runs `scenario` against one server accepting `config`'s key, starting
/// at `epoch` (the simulation reads no clock: pass `Instant::now()`).
pub fn run_fleet(scenario: &FleetScenario, config: &Config, epoch: Instant) -> FleetReport {
    Fleet::new(scenario, config, epoch).run()
}

struct Fleet<'a> {
    scenario: &'a FleetScenario,
    epoch: Instant,
    server: ScriptedServer,
    members: Vec<Member>,
    queue: BinaryHeap<Reverse<(Duration, usize)>>,
    /// Requests per second of the server's clock: (all, accepted).
    per_second: Vec<(u32, u32)>,
    returns: Vec<(usize, Return)>,
    /// When the last manager that lost its token before the outage ended
    /// got one again.
    recovered: Duration,
    report: FleetReport,
}

impl<'a> Fleet<'a> {
    fn new(scenario: &'a FleetScenario, config: &Config, epoch: Instant) -> Self {
        let mut rng = fastrand::Rng::with_seed(scenario.seed);
        let shared_entropy = rng.u64(..);
        let members = (0..scenario.managers)
            .map(|_| {
                let entropy = if scenario.lockstep {
                    shared_entropy
                } else {
                    rng.u64(..)
                };
                let latency = Duration::from_millis(rng.u64(5..50));
                let start_at = scenario.deploy_spread.mul_f64(rng.f64());
                let report_at = scenario.storm_at + scenario.storm_spread.mul_f64(rng.f64());
                Member {
                    core: AuthCore::new_seeded(config.clone(), epoch, entropy),
                    latency,
                    start_at,
                    started: false,
                    report_at: Some(report_at),
                    pending: Vec::new(),
                    without_token_since: None,
                    refused_at: None,
                    wake: None,
                }
            })
            .collect();
        let seconds = usize::try_from(scenario.duration.as_secs()).unwrap_or(0) + 2;
        Self {
            scenario,
            epoch,
            server: ScriptedServer::for_config(config),
            members,
            queue: BinaryHeap::new(),
            per_second: vec![(0, 0); seconds],
            returns: Vec::new(),
            recovered: Duration::ZERO,
            report: FleetReport::default(),
        }
    }

    fn run(mut self) -> FleetReport {
        for index in 0..self.members.len() {
            self.schedule(index);
        }
        while let Some(Reverse((at, index))) = self.queue.pop() {
            if at > self.scenario.duration {
                break;
            }
            if self.members[index].wake != Some(at) {
                continue;
            }
            self.members[index].wake = None;
            self.wake(index, at);
            self.schedule(index);
        }
        self.finish()
    }

    fn wall(at: Duration) -> SystemTime {
        SystemTime::UNIX_EPOCH + WALL_START + at
    }

    /// Queues `index`'s next wake-up: its core's next deadline, its next
    /// answer, its start, or its callers' report in the storm.
    fn schedule(&mut self, index: usize) {
        let member = &self.members[index];
        let deadline = member
            .core
            .poll_timeout()
            .map(|at| at.saturating_duration_since(self.epoch));
        let candidates = [
            deadline,
            member.pending.iter().map(|(at, _, _)| *at).min(),
            (!member.started).then_some(member.start_at),
            member.report_at,
        ];
        let Some(next) = candidates.into_iter().flatten().min() else {
            return;
        };
        self.members[index].wake = Some(next);
        self.queue.push(Reverse((next, index)));
    }

    fn wake(&mut self, index: usize, at: Duration) {
        let now = self.epoch + at;
        let wall = Self::wall(at);
        let member = &mut self.members[index];
        member.core.handle_wall_clock(now, wall);
        if !member.started && member.start_at <= at {
            member.started = true;
            member.without_token_since = Some(at);
            member.core.start(now);
        }
        if member.report_at.is_some_and(|report| report <= at) {
            member.report_at = None;
            let generation = member.core.access_token(now).map(|t| t.generation());
            if let Some(generation) = generation {
                member.core.handle_rejected(generation, now);
            }
        }
        while let Some(position) = member.pending.iter().position(|(t, _, _)| *t <= at) {
            let (_, id, answer) = member.pending.remove(position);
            match answer {
                Answer::Response(response) => {
                    member.core.handle_response(id, response, now);
                }
                Answer::TransportError(kind) => {
                    member.core.handle_transport_error(id, kind, now);
                }
                Answer::Silence => {}
            }
        }
        member.core.handle_timeout(now);
        while let Some(transmit) = self.members[index].core.poll_transmit(now) {
            let answer = match transmit.request() {
                Some(request) => self.answer(index, request, at),
                None => Answer::Silence,
            };
            let member = &mut self.members[index];
            if !member.pending.is_empty() {
                self.report.overlapping += 1;
            }
            member
                .pending
                .push((at + member.latency, transmit.id, answer));
        }
        let member = &mut self.members[index];
        while let Some(event) = member.core.poll_event() {
            if let Event::RateLimited { .. } = event {
                // The 429 the server sent this member, now received.
                let asked = self.scenario.retry_after;
                member.refused_at = Some((at, asked));
            }
        }
        let served = member.core.access_token(now).map(|token| {
            self.server
                .access_expiry(token.secret().expose_secret())
                .is_none_or(|expiry| expiry <= wall)
        });
        match served {
            Some(expired) => {
                if expired {
                    self.report.expired_served += 1;
                }
                if let Some(since) = member.without_token_since.take() {
                    self.report.note_gap(since, at);
                    let (outage_start, outage_length) = self.scenario.outage;
                    if since < outage_start + outage_length {
                        self.recovered = self.recovered.max(at);
                    }
                }
            }
            None if member.started && member.without_token_since.is_none() => {
                member.without_token_since = Some(at);
            }
            None => {}
        }
    }

    /// The server's answer to a request from member `index` at `at`
    /// (latency is counted on the way back).
    fn answer(&mut self, index: usize, request: &http::Request<Vec<u8>>, at: Duration) -> Answer {
        self.report.requests += 1;
        if let Some((received, _)) = self.members[index].refused_at.take() {
            self.returns.push((index, (received, at)));
        }
        let second = usize::try_from(at.as_secs()).unwrap_or(usize::MAX);
        let slot = self.per_second.get_mut(second);
        let (outage_start, outage_length) = self.scenario.outage;
        if at >= outage_start && at < outage_start + outage_length {
            self.report.refused_in_outage += 1;
            if let Some(slot) = slot {
                slot.0 += 1;
            }
            return Answer::TransportError(TransportErrorKind::Connect);
        }
        let limited = slot
            .as_ref()
            .is_some_and(|slot| slot.1 >= self.scenario.rate_limit);
        if let Some(slot) = slot {
            slot.0 += 1;
            slot.1 += u32::from(!limited);
        }
        if limited {
            self.report.rate_limited += 1;
            return Answer::Response(too_many_requests(self.scenario.retry_after));
        }
        self.report.accepted += 1;
        self.server.answer(request, Self::wall(at))
    }

    fn finish(mut self) -> FleetReport {
        let scenario = self.scenario;
        let end = scenario.duration;
        // Managers still without a token at the end count until then.
        for member in &self.members {
            if let Some(since) = member.without_token_since {
                self.report.note_gap(since, end);
            }
        }
        let hours = end.as_secs_f64() / 3600.0;
        self.report.requests_per_hour = self.report.requests as f64 / hours;
        self.report.refresh_reuse = self.server.stats().spent_refresh_reuse;
        let asked = scenario.retry_after;
        self.report.early_returns = self
            .returns
            .iter()
            .filter(|(_, (received, next))| next.saturating_sub(*received) < asked)
            .count() as u64;
        self.report.deploy_returns = self.returns_refused_in(Duration::ZERO);
        self.report.storm_returns = self.returns_refused_in(scenario.storm_at);
        let outage_end = scenario.outage.0 + scenario.outage.1;
        let recovered = self.recovered.max(outage_end);
        let (from, to) = (outage_end.as_secs(), recovered.as_secs() + 60);
        self.report.after_outage = self
            .per_second
            .iter()
            .enumerate()
            .filter(|(second, _)| (from..to).contains(&(*second as u64)))
            .map(|(_, (all, _))| *all)
            .collect();
        self.report
    }

    /// How the managers refused in the first second at or after `from`
    /// (the first second in which the server sent a `429`) came back.
    fn returns_refused_in(&self, from: Duration) -> ReturnSpread {
        let Some(first) = self
            .returns
            .iter()
            .map(|(_, (received, _))| *received)
            .filter(|received| *received >= from)
            .min()
        else {
            return ReturnSpread::default();
        };
        let group: Vec<&Return> = self
            .returns
            .iter()
            .map(|(_, r)| r)
            .filter(|(received, _)| {
                *received >= first && *received < first + Duration::from_secs(1)
            })
            .collect();
        let waits = group
            .iter()
            .map(|(received, next)| next.saturating_sub(*received));
        let nexts = group.iter().map(|(_, next)| *next);
        ReturnSpread {
            managers: group.len(),
            shortest_wait: waits.clone().min().unwrap_or_default(),
            longest_wait: waits.max().unwrap_or_default(),
            window: nexts.clone().max().unwrap_or_default() - nexts.min().unwrap_or_default(),
        }
    }
}

/// `429` with `Retry-After` in whole seconds.
fn too_many_requests(retry_after: Duration) -> Response<Vec<u8>> {
    let body = br#"{"message":"slow down","code":"TOO_MANY_REQUESTS"}"#.to_vec();
    let mut response = Response::new(body);
    *response.status_mut() = http::StatusCode::TOO_MANY_REQUESTS;
    if let Ok(value) = http::HeaderValue::from_str(&retry_after.as_secs().to_string()) {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, value);
    }
    response
}

/// The configuration a fleet shares: the default policy (no seed: each
/// manager draws its own jitter) and one API key.
pub fn fleet_config() -> Config {
    Config::builder(
        "https://revault.invalid/v1/rest",
        "fleet-workspace",
        "fleet-key-id",
        ApiKeySecret::new("fleet-key-secret-0123456789"),
    )
    .build()
    .unwrap_or_else(|error| unreachable!("the fleet configuration is valid: {error}"))
}
