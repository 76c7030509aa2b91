//! Persistence: `AuthCore::export` / `restore` / `due`, the core half of a
//! token store. A "new process" is a fresh `AuthCore` swapped into the
//! harness, so the scripted server still knows the tokens it issued.

mod common;

use std::time::Duration;

use common::{SECRET, config, epoch, ready_harness, secs};
use revault_auth_core::testing::Harness;
use revault_auth_core::{AuthCore, Event, Purpose, SavedTokens};

fn new_process(harness: &mut Harness) {
    harness.core = AuthCore::new(config(), harness.now());
    harness.core.start(harness.now());
}

fn restored(harness: &Harness) -> usize {
    common::count(harness, |event| matches!(event, Event::Restored { .. }))
}

#[test]
fn export_restore_round_trip_serves_the_same_token_without_a_request() {
    let mut harness = ready_harness();
    harness.advance(secs(10.0));
    let saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("a usable token to export");
    let token = harness.token().expect("token").secret().clone();
    let requests = harness.sent.len();

    // Through JSON, as a store keeps it.
    let json = serde_json::to_string(&saved).expect("serializes");
    let saved: SavedTokens = serde_json::from_str(&json).expect("deserializes");

    harness.core = AuthCore::new(config(), harness.now());
    let installed = harness.core.restore(saved, harness.now(), harness.wall());
    assert!(installed);
    assert!(
        !harness.core.unsaved(),
        "restored tokens are the saved ones"
    );
    assert_eq!(harness.core.due(harness.now()), None);
    harness.core.start(harness.now());
    harness.pump();
    assert_eq!(
        harness
            .token()
            .expect("restored token")
            .secret()
            .expose_secret(),
        token.expose_secret()
    );
    assert_eq!(harness.sent.len(), requests, "no request after a restore");
    assert_eq!(restored(&harness), 1);
    assert!(!harness.serves_expired_token());
}

#[test]
fn an_expired_saved_token_is_not_served_but_its_refresh_token_is_used() {
    let mut harness = ready_harness();
    let saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    // The process is gone for 400 s: past the 300 s access token, within
    // the 1800 s refresh token.
    harness.core = AuthCore::new(config(), harness.now());
    harness.jump(secs(400.0));
    let (refreshes, authentications) = (
        harness.server.stats().refresh_requests,
        harness.server.stats().token_requests,
    );

    assert!(harness.core.restore(saved, harness.now(), harness.wall()));
    assert!(harness.token().is_none(), "an expired token is not served");
    assert_eq!(restored(&harness), 0);
    harness.core.start(harness.now());
    assert_eq!(harness.core.due(harness.now()), Some(Purpose::Refresh));
    harness.advance(secs(1.0));

    assert!(harness.token().is_some());
    let stats = harness.server.stats();
    assert_eq!(stats.refresh_requests, refreshes + 1);
    assert_eq!(stats.token_requests, authentications);
    assert_eq!(stats.spent_refresh_reuse, 0);
    assert!(harness.core.unsaved(), "the new pair must be saved");
}

#[test]
fn a_save_for_another_workspace_or_key_is_refused() {
    let mut harness = ready_harness();
    let saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");

    for (workspace, key_id) in [
        ("another-workspace", common::KEY_ID),
        (common::WORKSPACE, "another-key-id"),
    ] {
        let mut other = saved.clone();
        other.workspace = workspace.to_owned();
        other.api_key_id = key_id.to_owned();
        new_process(&mut harness);
        assert!(!harness.core.restore(other, harness.now(), harness.wall()));
        assert!(harness.token().is_none());
    }
    let mut future = saved.clone();
    future.format = 2;
    assert!(!harness.core.restore(future, harness.now(), harness.wall()));

    // The matching one is taken.
    new_process(&mut harness);
    assert!(harness.core.restore(saved, harness.now(), harness.wall()));
    assert!(harness.token().is_some());
}

#[test]
fn a_restored_token_counts_its_lifetime_in_wall_time() {
    let mut harness = ready_harness();
    // ready_harness took 100 ms; 200 s into the 300 s token.
    harness.advance(secs(199.9));
    let saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    let wall = harness.wall();

    // Another process, whose monotonic clock has nothing to do with ours.
    let now = epoch() + Duration::from_secs(10_000);
    let mut core = AuthCore::new(config(), now);
    assert!(core.restore(saved, now, wall));
    let token = core.access_token(now).expect("still usable").clone();
    // 100 s left on the server's clock, minus the 10 s safety floor.
    let left = token.usable_until() - now;
    assert!(
        left > secs(89.9) && left <= secs(90.0),
        "usable for {left:?} more"
    );
    assert!(token.expires_at() - now <= secs(100.0));
    assert!(token.expires_at() - now > secs(99.9));
    assert!(core.access_token(now + secs(89.0)).is_some());
    assert!(core.access_token(now + secs(91.0)).is_none());
    // It refreshes at the saved refresh point, not 75 % of a fresh life.
    assert!(token.refresh_at() - now < secs(45.0));
    assert_eq!(core.due(now), None);
    core.start(now);
    assert_eq!(core.due(now + secs(60.0)), Some(Purpose::Refresh));

    // Restored an hour later on the wall clock: nothing usable, refused.
    let mut late = AuthCore::new(config(), now);
    let saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    assert!(!late.restore(saved, now, wall + Duration::from_secs(3600)));
    assert!(late.access_token(now).is_none());
}

#[test]
fn debug_of_saved_tokens_shows_no_secret() {
    let harness = ready_harness();
    let saved = harness
        .core
        .export(harness.now(), harness.wall())
        .expect("export");
    let access = saved.access_token.expose_secret().to_owned();
    let refresh = saved
        .refresh_token
        .as_ref()
        .expect("refresh token")
        .expose_secret()
        .to_owned();
    let shown = format!("{saved:?} {saved:#?}");
    for secret in [access.as_str(), refresh.as_str(), SECRET] {
        assert!(!shown.contains(secret), "Debug leaks a secret: {shown}");
    }
    assert!(shown.contains("redacted"));
    // The API key secret is never part of a snapshot.
    let json = serde_json::to_string(&saved).expect("json");
    assert!(!json.contains(SECRET));
}

#[test]
fn due_waits_out_a_backoff() {
    let mut harness = Harness::new(config(), epoch());
    harness.push(revault_auth_core::testing::Reply::Status(502));
    harness.start();
    harness.advance(Duration::from_millis(30));
    let retry_at = harness.core.retry_at().expect("backing off");
    assert_eq!(harness.core.due(retry_at - Duration::from_millis(1)), None);
    assert_eq!(harness.core.due(retry_at), Some(Purpose::Authenticate));
}
