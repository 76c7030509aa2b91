//! Scripts of arbitrary steps, shared by the fuzz targets, the property tests
//! and the corpus replay tests. [`run_script`] checks the core's invariants
//! after every step and reports the first one broken.

use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use http::Response;

use crate::config::Policy;
use crate::error::TransportErrorKind;
use crate::request::RequestId;
use crate::response::parse_grant;
use crate::secret::{ApiKeySecret, TokenGeneration};
use crate::testing::harness::Harness;
use crate::testing::server::Reply;
use crate::{Config, Event};

/// One thing that can happen to a core.
#[derive(Clone, Debug, Arbitrary)]
pub enum Step {
    /// Virtual time passes normally (up to about 18 hours).
    Advance {
        /// Milliseconds, scaled: see [`run_script`].
        millis: u16,
        /// Multiplier exponent (0..=3: ×1, ×10, ×100, ×1000).
        scale: u8,
    },
    /// The process stalls: time jumps with no chance to act in between.
    Jump {
        /// Seconds.
        seconds: u16,
    },
    /// The driver hands the core a stale reading this much older than the
    /// true instant (the true clock and the server's do not move).
    StepBack {
        /// Seconds.
        seconds: u16,
    },
    /// The machine sleeps: the wall clock moves, the monotonic one does not.
    Suspend {
        /// Seconds.
        seconds: u16,
    },
    /// The server's next answer.
    Script(Reply),
    /// revault-api answered 401 to the current token (`times` reports).
    RejectCurrent {
        /// How many callers report it.
        times: u8,
    },
    /// A 401 report about a generation that is not current.
    RejectStale {
        /// How far back.
        behind: u8,
    },
    /// An answer quoting a request id that was never sent.
    UnknownResponse {
        /// The status of that answer.
        status: u16,
    },
    /// A transport error quoting an unknown id.
    UnknownTransportError(TransportErrorKind),
    /// The application asks for a token.
    Start,
    /// The application hands the core its API key again (unchanged).
    UpdateApiKey,
    /// The key is rotated: the server learns a second key, the core moves
    /// to it, and the server revokes the first.
    RotateKey,
    /// The driver could not take a token store's update lock: the refresh
    /// token held must never reach the server.
    StoreLockUnavailable,
}

/// Counts from a script run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptReport {
    /// Steps run.
    pub steps: usize,
    /// Requests sent.
    pub requests: usize,
    /// Tokens obtained (authenticated, refreshed or re-authenticated).
    pub tokens: usize,
    /// Terminal failures.
    pub failures: usize,
}

const SCRIPT_KEY_ID: &str = "fuzz-key-id";

/// The secret of a script key: derived from its id.
fn key_secret(id: &str) -> String {
    format!("{id}-secret-0123456789")
}

/// The configuration scripts run against: short tokens, a short request
/// timeout, and a seed from the script.
pub fn script_config(seed: u64) -> Config {
    Config::builder(
        "https://revault.invalid/v1/rest",
        "fuzz-workspace",
        SCRIPT_KEY_ID,
        ApiKeySecret::new(key_secret(SCRIPT_KEY_ID)),
    )
    .tune(|policy| {
        policy.seed = Some(seed);
        policy.request_timeout = Duration::from_secs(5);
        policy.backoff_cap = Duration::from_secs(20);
        policy.retry_after_cap = Duration::from_secs(30);
        policy.refused_retry_base = Duration::from_secs(60);
        policy.refused_retry_cap = Duration::from_secs(240);
    })
    .build()
    .unwrap_or_else(|error| unreachable!("the script configuration is valid: {error}"))
}

/// Runs `steps` through a [`Harness`] with a 30 s / 120 s token server,
/// checking after each step that:
/// - no token the server considers expired is served, at any wake-up;
/// - no request leaves while the harness has one outstanding;
/// - no refresh token reaches the server twice, nor one given up after a
///   store lock timeout;
/// - every deadline the core reports is acted on (no stall, no busy loop);
/// - failures only follow a refusal the server sent (a 401/403 or
///   spec-shaped 400 to the current key, a 404);
/// - no request leaves before a `Retry-After`, the backoff floor or the
///   slow schedule after a refusal allows;
///
/// and, once the script's faults are used up, that a valid token comes
/// back within a minute unless the core failed for good.
pub fn run_script(steps: &[Step], epoch: Instant, seed: u64) -> Result<ScriptReport, String> {
    let mut harness = Harness::new(script_config(seed), epoch);
    harness.server.access_ttl = 30.0;
    harness.server.refresh_ttl = 120.0;
    let mut report = ScriptReport::default();
    harness.start();
    for (index, step) in steps.iter().enumerate() {
        apply(&mut harness, step);
        report.steps += 1;
        check_invariants(&harness)
            .map_err(|broken| format!("after step {index} ({step:?}): {broken}"))?;
    }
    // Liveness: once the scripted faults are used up, a valid token must
    // come back within the backoff cap plus a request timeout.
    let mut rounds = 0;
    while harness.server.pending_replies() > 0 && rounds < 10_000 {
        harness.advance(Duration::from_secs(30));
        check_invariants(&harness).map_err(|broken| format!("draining the script: {broken}"))?;
        rounds += 1;
    }
    harness.advance(Duration::from_secs(60));
    check_invariants(&harness).map_err(|broken| format!("after the faults stopped: {broken}"))?;
    if harness.core.failure().is_none() && harness.token().is_none() {
        return Err("no valid token a minute after the faults stopped".into());
    }
    report.requests = harness.sent.len();
    for event in harness.event_list() {
        match event {
            Event::Authenticated { .. }
            | Event::Refreshed { .. }
            | Event::Reauthenticated { .. } => report.tokens += 1,
            Event::Failed { .. } => report.failures += 1,
            _ => {}
        }
    }
    Ok(report)
}

fn apply(harness: &mut Harness, step: &Step) {
    let seconds = |s: u16| Duration::from_secs(u64::from(s));
    match step {
        Step::Advance { millis, scale } => {
            let factor = 10u64.pow(u32::from(scale % 4));
            harness.advance(Duration::from_millis(u64::from(*millis) * factor));
        }
        Step::Jump { seconds: s } => harness.jump(seconds(*s)),
        Step::StepBack { seconds: s } => harness.step_back(seconds(*s)),
        Step::Suspend { seconds: s } => harness.suspend(seconds(*s)),
        Step::Script(reply) => harness.push(reply.clone()),
        Step::RejectCurrent { times } => {
            if let Some(generation) = harness.token().map(|t| t.generation()) {
                for _ in 0..=*times % 64 {
                    harness.core.handle_rejected(generation, harness.now());
                }
                harness.pump();
            }
        }
        Step::RejectStale { behind } => {
            let current = harness.token().map_or(0, |t| t.generation().get());
            let stale = current.saturating_sub(u64::from(*behind) + 1);
            let now = harness.now();
            harness.core.handle_rejected(TokenGeneration(stale), now);
            harness.pump();
        }
        Step::UnknownResponse { status } => {
            let mut response = Response::new(b"{}".to_vec());
            if let Ok(status) = http::StatusCode::from_u16(*status) {
                *response.status_mut() = status;
            }
            let now = harness.now();
            let known = harness
                .core
                .handle_response(RequestId(u64::MAX), response, now);
            debug_assert!(!known);
            harness.pump();
        }
        Step::UnknownTransportError(kind) => {
            let now = harness.now();
            harness
                .core
                .handle_transport_error(RequestId(u64::MAX - 1), *kind, now);
            harness.pump();
        }
        Step::Start => harness.start(),
        Step::UpdateApiKey => {
            let id = harness.core.config().api_key_id().to_owned();
            let secret = key_secret(&id);
            harness.update_api_key(&id, &secret);
        }
        Step::StoreLockUnavailable => harness.store_lock_unavailable(),
        Step::RotateKey => {
            let old = harness.core.config().api_key_id().to_owned();
            let new = if old == SCRIPT_KEY_ID {
                format!("{SCRIPT_KEY_ID}-2")
            } else {
                SCRIPT_KEY_ID.to_owned()
            };
            let secret = key_secret(&new);
            harness.server.add_key(&new, &secret);
            harness.update_api_key(&new, &secret);
            harness.server.revoke_key(&old);
        }
    }
}

/// The invariants every step must keep; `Err` names the first one broken.
/// Each is checked against the harness's and the server's own records,
/// never against what the core says about itself.
pub fn check_invariants(harness: &Harness) -> Result<(), String> {
    if harness.expired_served > 0 || harness.serves_expired_token() {
        return Err("served a token the server considers expired".into());
    }
    if harness.overlapping_requests > 0 {
        return Err("sent a second request while one was outstanding".into());
    }
    let stats = harness.server.stats();
    if stats.spent_refresh_reuse > 0 {
        return Err("sent a spent refresh token again".into());
    }
    if harness.given_up_sent > 0 {
        return Err("sent a refresh token given up after a store lock timeout".into());
    }
    if stats.malformed_requests > 0 {
        return Err("sent a request body the spec does not allow".into());
    }
    if harness.stalls > 0 {
        return Err(format!(
            "{} deadlines came due with nothing done",
            harness.stalls
        ));
    }
    if harness.busy_loops > 0 {
        return Err("the core kept producing work at one instant".into());
    }
    if harness.unfounded_failures > 0 {
        return Err("failed without a refusal from the server".into());
    }
    if let Some(early) = harness.early_requests.first() {
        return Err(format!("request too early: {early}"));
    }
    if let Some(error) = harness.core.failure().filter(|e| !e.is_terminal()) {
        return Err(format!("refusal state with a transient error: {error}"));
    }
    Ok(())
}

/// Fuzz entry point: arbitrary bytes become a script.
pub fn fuzz_drive(data: &[u8], epoch: Instant) {
    let mut input = Unstructured::new(data);
    let seed = u64::arbitrary(&mut input).unwrap_or(0);
    let steps = Vec::<Step>::arbitrary_take_rest(input).unwrap_or_default();
    if let Err(broken) = run_script(&steps, epoch, seed) {
        panic!("invariant broken: {broken}");
    }
}

/// Fuzz entry point: arbitrary bytes become an answer to the core's first
/// request (a status from the interesting ones, a `Retry-After`, a body),
/// and separately a body for the token parser.
pub fn fuzz_response(data: &[u8], epoch: Instant) {
    const STATUSES: [u16; 16] = [
        100, 200, 201, 204, 301, 307, 400, 401, 403, 404, 420, 429, 500, 502, 503, 504,
    ];
    let _ = parse_grant(data, &Policy::default());
    let mut input = Unstructured::new(data);
    let status = input.choose(&STATUSES).copied().unwrap_or(200);
    let retry_after: Option<String> = input.arbitrary().unwrap_or(None);
    let body = Vec::<u8>::arbitrary_take_rest(input).unwrap_or_default();

    let mut core = crate::AuthCore::new(script_config(1), epoch);
    core.start(epoch);
    let Some(transmit) = core.poll_transmit(epoch) else {
        panic!("a started core must send a request");
    };
    let mut response = Response::new(body);
    if let Ok(code) = http::StatusCode::from_u16(status) {
        *response.status_mut() = code;
    }
    if let Some(value) = retry_after.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, value);
    }
    let later = epoch + Duration::from_millis(30);
    assert!(core.handle_response(transmit.id, response, later));
    assert!(core.in_flight().is_none());
    while core.poll_event().is_some() {}
    if let Some(token) = core.access_token(later) {
        assert!(token.usable_until() > later);
    }
    // Whatever happened, the core must know what to do next.
    let has_future = core.poll_timeout().is_some() || core.failure().is_some();
    let can_send_now = core.poll_transmit(later).is_some();
    assert!(
        has_future || can_send_now,
        "the core wedged after status {status}"
    );
}
