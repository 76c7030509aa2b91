//! Behaviour 13: every event a user wants to observe is emitted: authenticated,
//! refreshed, re-authenticated, retry scheduled (reason, delay), rate limited,
//! expired, failed (error class).

mod common;

use std::time::Duration;

use common::{config, epoch, secs};
use revault_auth_core::testing::{Harness, Reply};
use revault_auth_core::{AuthError, ErrorClass, Event, ExpiryCause, ReauthReason};

#[test]
fn a_stormy_session_emits_every_kind_of_event_in_order() {
    let mut harness = Harness::new(config(), epoch());
    harness.start(); // Authenticated
    harness.advance(Duration::from_secs(250)); // Refreshed
    harness.push(Reply::Status(401)); // refresh rejected: RetryScheduled(0) + Reauthenticated
    harness.advance(Duration::from_secs(250));
    harness.push(Reply::Status(502)); // RetryScheduled
    harness.push(Reply::RateLimited(429, Some("3".into()))); // RateLimited
    harness.advance(Duration::from_secs(250));
    harness.reject_current_token(); // Expired(Rejected)
    harness.advance(Duration::from_secs(1));
    harness.push(Reply::Status(403)); // the next refresh is rejected...
    harness.push(Reply::Status(403)); // ...and so is the API key: Failed
    harness.advance(Duration::from_secs(600)); // the slow retry logs in again

    let events = harness.event_list();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Authenticated { .. } => "authenticated",
            Event::Refreshed { .. } => "refreshed",
            Event::Reauthenticated { .. } => "reauthenticated",
            Event::RetryScheduled { .. } => "retry",
            Event::RateLimited { .. } => "rate_limited",
            Event::Expired { .. } => "expired",
            Event::Failed { .. } => "failed",
            _ => "other",
        })
        .collect();
    let kinds: Vec<&str> = kinds.into_iter().filter(|k| *k != "other").collect();
    assert_eq!(
        kinds,
        [
            "authenticated",
            "refreshed",
            "retry", // the refresh token was rejected
            "reauthenticated",
            "retry", // 502 to the refresh
            "rate_limited",
            "reauthenticated",
            "expired", // rejected by revault-api
            "refreshed",
            "retry",  // 403 to the refresh
            "failed", // 403 to the API key
            "expired",
            "reauthenticated", // the slow retry
        ]
    );
    let times: Vec<Duration> = harness.events.iter().map(|(at, _)| *at).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");

    assert!(events.contains(&Event::Authenticated {
        generation: first_generation(&events),
        expires_in: secs(300.0),
        refresh_expires_in: secs(1800.0),
    }));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Reauthenticated {
            reason: ReauthReason::RefreshRejected,
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::RetryScheduled { error: AuthError::Server { status: 502, .. }, delay, .. } if *delay > Duration::ZERO
    )));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::RateLimited { status: 429, delay } if *delay == secs(3.0)))
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Expired {
            cause: ExpiryCause::Rejected,
            ..
        }
    )));
    let failed = events.iter().find_map(|e| match e {
        Event::Failed { error } => Some(error.class()),
        _ => None,
    });
    assert_eq!(failed, Some(ErrorClass::CredentialsRejected));
}

fn first_generation(events: &[Event]) -> revault_auth_core::TokenGeneration {
    events
        .iter()
        .find_map(|e| match e {
            Event::Authenticated { generation, .. } => Some(*generation),
            _ => None,
        })
        .expect("authenticated")
}

#[test]
fn an_undrained_event_queue_stays_bounded() {
    let mut core = revault_auth_core::AuthCore::new(config(), epoch());
    let now = epoch();
    core.start(now);
    let mut at = now;
    for _ in 0..2000 {
        if let Some(transmit) = core.poll_transmit(at) {
            core.handle_transport_error(transmit.id, revault_auth_core::TransportErrorKind::Io, at);
        }
        at += Duration::from_secs(60);
        core.handle_timeout(at);
    }
    assert!(core.dropped_events() > 0);
    let mut kept = 0;
    while core.poll_event().is_some() {
        kept += 1;
    }
    assert!(kept <= 256, "{kept}");
}

#[test]
fn last_error_reports_the_latest_failure_until_a_token_arrives() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(Reply::Status(502));
    harness.push(Reply::RateLimited(429, Some("1".into())));
    harness.start();
    harness.advance(Duration::from_millis(100));
    assert!(matches!(
        harness.core.last_error(),
        Some(AuthError::Server { status: 502, .. })
    ));
    harness.run_until(Duration::from_secs(5), |h| {
        h.core.last_error() == Some(&AuthError::RateLimited { status: 429 })
    });
    assert_eq!(
        harness.core.last_error(),
        Some(&AuthError::RateLimited { status: 429 })
    );
    harness.advance(Duration::from_secs(3));
    assert!(harness.token().is_some());
    assert_eq!(harness.core.last_error(), None);
}

#[test]
fn request_finished_reports_latency_status_and_the_margin_a_refresh_kept() {
    let mut harness = Harness::new(config(), epoch());
    harness.latency = Duration::from_millis(40);
    harness.push(Reply::Normal);
    harness.push(Reply::Status(502));
    harness.start();
    harness.advance(Duration::from_secs(250));
    let finished: Vec<_> = harness
        .event_list()
        .into_iter()
        .filter_map(|e| match e {
            Event::RequestFinished {
                purpose,
                status,
                latency,
                token_time_left,
            } => Some((purpose, status, latency, token_time_left)),
            _ => None,
        })
        .collect();
    assert!(finished.len() >= 3, "{finished:?}");
    let (purpose, status, latency, left) = finished[0];
    assert_eq!(purpose, revault_auth_core::Purpose::Authenticate);
    assert_eq!((status, latency, left), (Some(200), secs(0.04), None));
    let (purpose, status, _, left) = finished[1];
    assert_eq!(purpose, revault_auth_core::Purpose::Refresh);
    assert_eq!(status, Some(502));
    let left = left.expect("a token was served");
    assert!(
        left >= secs(49.9) && left <= secs(65.1),
        "refresh kept {left:?}"
    );
}
