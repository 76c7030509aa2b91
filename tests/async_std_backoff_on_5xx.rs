//! Transient 5xx answers are retried with backoff: with no valid token the
//! caller waits the backoff out; with a valid one, the token keeps being
//! served while the background refresh keeps failing, at a bounded rate.

mod common;

use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_async_std::{Event, TokenManager};
use revault_auth_core::AuthError;
use revault_auth_mock::{Fault, MockServer, Target};

const BASE: Duration = Duration::from_millis(200);

#[test]
fn cold_start_waits_out_the_backoff_between_5xx() {
    async_std::task::block_on(async {
        let server = MockServer::start_background(mock_config(
            Duration::from_secs(300),
            Duration::from_secs(1800),
        ))
        .expect("emulator");
        server.push_fault(Target::Token, Fault::status(503));
        server.push_fault(Target::Token, Fault::server_error());
        let config = config_for(&server)
            .tune(|policy| {
                policy.backoff_base = BASE;
                policy.backoff_cap = Duration::from_secs(1);
            })
            .build()
            .expect("config");
        let manager = TokenManager::new(config).expect("manager");
        let mut events = manager.subscribe();

        let started = Instant::now();
        let token = manager
            .token_owned()
            .await
            .expect("a token after two failures");
        assert_eq!(token.generation().get(), 1);
        assert!(started.elapsed() >= 2 * BASE, "{:?}", started.elapsed());
        assert_eq!(server.token_requests(), 3);
        let arrivals: Vec<Instant> = server.log().iter().map(|entry| entry.at).collect();
        for pair in arrivals.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(gap >= BASE - Duration::from_millis(5), "gap {gap:?}");
        }
        let mut retries = Vec::new();
        while let Ok(event) = events.try_recv() {
            if let Event::RetryScheduled { error, delay, .. } = event {
                retries.push((error, delay));
            }
        }
        assert_eq!(retries.len(), 2, "{retries:?}");
        assert!(matches!(
            retries[0].0,
            AuthError::Server { status: 503, .. }
        ));
        assert!(matches!(
            retries[1].0,
            AuthError::Server { status: 500, .. }
        ));
        assert!(retries.iter().all(|(_, delay)| *delay >= BASE));
        manager.shutdown().await;
    });
}

#[test]
fn failing_refreshes_keep_the_token_served_and_are_rate_limited() {
    async_std::task::block_on(async {
        let server = MockServer::start_background(mock_config(
            Duration::from_secs(2),
            Duration::from_secs(60),
        ))
        .expect("emulator");
        let base = Duration::from_millis(50);
        let config = config_for(&server)
            .tune(|policy| {
                policy.backoff_base = base;
                policy.backoff_cap = base;
            })
            .build()
            .expect("config");
        let manager = TokenManager::new(config).expect("manager");
        let first = manager.token_owned().await.expect("first");
        server.set_persistent_fault(Target::Both, Some(Fault::server_error()));

        while Instant::now() + Duration::from_millis(30) < first.usable_until() {
            let token = manager.try_token().expect("the current token");
            assert_eq!(token.generation(), first.generation());
            drop(token);
            async_std::task::sleep(Duration::from_millis(5)).await;
        }
        let window = first
            .usable_until()
            .saturating_duration_since(first.refresh_at());
        let attempts = server.refresh_requests() + server.token_requests() - 1;
        assert!(attempts >= 2, "it kept trying: {attempts}");
        let bound = (window.as_millis() / base.as_millis()) as usize + 2;
        assert!(attempts <= bound, "{attempts} attempts in {window:?}");

        // The token is withdrawn at its floor; callers then wait for a success.
        async_std::task::sleep(
            first
                .usable_until()
                .saturating_duration_since(Instant::now()),
        )
        .await;
        async_std::task::sleep(Duration::from_millis(20)).await;
        assert!(manager.try_token().is_none(), "withdrawn at its floor");
        server.set_persistent_fault(Target::Both, None);
        let second = manager
            .token_owned()
            .await
            .expect("a token once the server recovers");
        assert_eq!(second.generation().get(), 2);
        manager.shutdown().await;
    });
}
