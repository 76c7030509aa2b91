//! Simulated soak: more than a million virtual seconds of a 300 s / 1800 s
//! token server with random faults (5xx bursts, lost requests, 420/429 with
//! `Retry-After`, malformed 200s, rejected refreshes, revocations, clock
//! jumps by up to three hours, stale clock readings, suspends long and
//! short, API key rotations with the old key revoked). Checked at every
//! step against the harness's own records: no expired token served at any
//! wake-up, never two requests outstanding, no refresh token sent twice,
//! every deadline acted on, no failure without a refusal, no request before
//! `Retry-After` or the backoff floor. During outages the request rate
//! stays under the stated bound, and once an outage ends a valid token is
//! back within the backoff cap plus one request timeout.
//!
//! It prints one summary line; run with `--nocapture` to see it.

mod common;

use std::time::Duration;

use common::{config, epoch};
use revault_auth_core::testing::{Harness, Reply, check_invariants};
use revault_auth_core::{Event, TransportErrorKind};

const VIRTUAL_SECONDS: u64 = 1_000_000;
/// The default policy's backoff floor: no outage can draw more than one
/// request per 250 ms.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(30);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Stated bound on the average outage request rate once backoff has grown:
/// full jitter over [0.25 s, 30 s] averages about 15 s between attempts, so
/// more than one request per 5 s would mean backoff is not working.
const OUTAGE_SECONDS_PER_REQUEST: f64 = 5.0;

#[derive(Default)]
struct Tally {
    virtual_time: Duration,
    steps: u64,
    outages: u64,
    outage_time: Duration,
    outage_requests: u64,
    worst_recovery: Duration,
    lost_requests: u64,
    rate_limits: u64,
    malformed: u64,
    rejected_refreshes: u64,
    revocations: u64,
    jumps: u64,
    steps_back: u64,
    suspends: u64,
    short_suspends: u64,
    rotations: u64,
}

/// The id of the key in use after `rotations` rotations.
fn key_id(rotations: u64) -> String {
    if rotations == 0 {
        common::KEY_ID.to_owned()
    } else {
        format!("{}-{rotations}", common::KEY_ID)
    }
}

fn checked(harness: &Harness, tally: &Tally) {
    if let Err(broken) = check_invariants(harness) {
        panic!("soak broke at {:?} virtual: {broken}", tally.virtual_time);
    }
}

fn run(harness: &mut Harness, tally: &mut Tally, duration: Duration) {
    let mut left = duration;
    while !left.is_zero() {
        let chunk = left.min(Duration::from_secs(60));
        harness.advance(chunk);
        tally.virtual_time += chunk;
        left -= chunk;
        checked(harness, tally);
    }
}

fn recover(harness: &mut Harness, tally: &mut Tally) {
    let before = harness.now();
    let limit = BACKOFF_CAP + REQUEST_TIMEOUT + Duration::from_secs(1);
    let back = harness.run_until(limit, |h| h.token().is_some());
    let took = harness.now().saturating_duration_since(before);
    tally.virtual_time += took;
    tally.worst_recovery = tally.worst_recovery.max(took);
    assert!(
        back,
        "no token {limit:?} after the faults stopped (at {:?})",
        tally.virtual_time
    );
    checked(harness, tally);
}

#[test]
fn soak_one_million_virtual_seconds_of_faults() {
    let mut rng = fastrand::Rng::with_seed(0x50a4);
    let mut harness = Harness::new(config(), epoch());
    let mut tally = Tally::default();
    harness.start();
    while tally.virtual_time < Duration::from_secs(VIRTUAL_SECONDS) {
        tally.steps += 1;
        let seconds = |rng: &mut fastrand::Rng, max: u64| Duration::from_secs(rng.u64(1..=max));
        match rng.u8(0..100) {
            0..=49 => {
                let calm = seconds(&mut rng, 900);
                run(&mut harness, &mut tally, calm);
            }
            50..=59 => {
                // An outage: every answer is a 5xx until it ends.
                let length = seconds(&mut rng, 1800).max(Duration::from_secs(60));
                let status = [500, 502, 503, 504][rng.usize(0..4)];
                for _ in 0..20_000 {
                    harness.push(Reply::Status(status));
                }
                let sent_before = harness.sent.len();
                run(&mut harness, &mut tally, length);
                harness.server.clear_script();
                let requests = (harness.sent.len() - sent_before) as u64;
                let hard_bound = 1 + (length.as_secs_f64() / BACKOFF_BASE.as_secs_f64()) as u64;
                assert!(
                    requests <= hard_bound,
                    "{requests} requests in a {length:?} outage"
                );
                tally.outages += 1;
                tally.outage_time += length;
                tally.outage_requests += requests;
                recover(&mut harness, &mut tally);
            }
            60..=64 => {
                for _ in 0..rng.u32(1..6) {
                    harness.push(Reply::Drop);
                    tally.lost_requests += 1;
                }
                run(&mut harness, &mut tally, Duration::from_secs(300));
            }
            65..=69 => {
                let status = [420, 429, 503][rng.usize(0..3)];
                let after = rng.u32(1..120).to_string();
                harness.push(Reply::RateLimited(status, Some(after)));
                tally.rate_limits += 1;
                run(&mut harness, &mut tally, Duration::from_secs(300));
            }
            70..=74 => {
                let garbage: Vec<u8> = (0..rng.usize(0..200)).map(|_| rng.u8(..)).collect();
                harness.push(Reply::Raw(200, garbage));
                harness.push(Reply::Transport(TransportErrorKind::Io));
                tally.malformed += 1;
                run(&mut harness, &mut tally, Duration::from_secs(120));
            }
            75..=79 => {
                harness.server.reject_refreshes(1);
                tally.rejected_refreshes += 1;
                run(&mut harness, &mut tally, Duration::from_secs(600));
            }
            80..=86 => {
                if harness.reject_current_token() {
                    tally.revocations += 1;
                }
                checked(&harness, &tally);
                recover(&mut harness, &mut tally);
            }
            87..=90 => {
                let jump = seconds(&mut rng, 3 * 3600);
                harness.jump(jump);
                tally.virtual_time += jump;
                tally.jumps += 1;
                checked(&harness, &tally);
            }
            91..=94 => {
                harness.step_back(seconds(&mut rng, 3 * 3600));
                tally.steps_back += 1;
                checked(&harness, &tally);
            }
            95..=96 => {
                // Rotation: the server learns the next key, the core moves
                // to it, the server revokes the one before.
                tally.rotations += 1;
                let (old_id, new_id) = (key_id(tally.rotations - 1), key_id(tally.rotations));
                let secret = format!("{new_id}-secret");
                harness.server.add_key(&new_id, &secret);
                harness.update_api_key(&new_id, &secret);
                harness.server.revoke_key(&old_id);
                checked(&harness, &tally);
            }
            97 => {
                // Many suspends, each below the 2 s tolerance.
                for _ in 0..rng.u32(1..200) {
                    harness.advance(Duration::from_secs(rng.u64(1..=20)));
                    harness.suspend(Duration::from_millis(rng.u64(100..=1900)));
                    tally.short_suspends += 1;
                    checked(&harness, &tally);
                }
            }
            _ => {
                let sleep = seconds(&mut rng, 3 * 3600);
                harness.suspend(sleep);
                tally.virtual_time += sleep;
                tally.suspends += 1;
                checked(&harness, &tally);
            }
        }
    }
    assert!(
        harness.core.failure().is_none(),
        "no terminal failure in a soak"
    );
    let tokens = harness
        .events
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                Event::Authenticated { .. }
                    | Event::Refreshed { .. }
                    | Event::Reauthenticated { .. }
            )
        })
        .count();
    let seconds_per_outage_request =
        tally.outage_time.as_secs_f64() / tally.outage_requests.max(1) as f64;
    assert!(
        seconds_per_outage_request >= OUTAGE_SECONDS_PER_REQUEST,
        "outage request rate too high: one per {seconds_per_outage_request:.1} s"
    );
    let stats = harness.server.stats();
    println!(
        "soak: {:.0} virtual s, {} steps, {} requests ({} token, {} refresh), {} tokens, \
         {} outages ({:.0} s, one request per {:.1} s), worst recovery {:.1} s, \
         {} lost, {} rate limits, {} malformed, {} rejected refreshes, {} revocations, \
         {} jumps, {} stale readings, {} suspends, {} short suspends, {} key rotations, \
         0 invariant violations",
        tally.virtual_time.as_secs_f64(),
        tally.steps,
        harness.sent.len(),
        stats.token_requests,
        stats.refresh_requests,
        tokens,
        tally.outages,
        tally.outage_time.as_secs_f64(),
        seconds_per_outage_request,
        tally.worst_recovery.as_secs_f64(),
        tally.lost_requests,
        tally.rate_limits,
        tally.malformed,
        tally.rejected_refreshes,
        tally.revocations,
        tally.jumps,
        tally.steps_back,
        tally.suspends,
        tally.short_suspends,
        tally.rotations,
    );
}
