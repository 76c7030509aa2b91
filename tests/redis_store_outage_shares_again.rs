//! A manager whose Redis store is down at start runs alone, then shares its
//! session once Redis answers; Redis killed mid-run and restarted empty gets
//! the session again; Redis frozen (SIGSTOP) past the lock deadline leaves
//! the stored refresh token unsent (a login instead), and gets the session
//! again once continued. A private `redis-server` on a free loopback port
//! (skipped with a message when `redis-server` is missing; a failure when
//! `REVAULT_REQUIRE_REDIS` is set).
//!
//! Oracles: what Redis holds (read through a second store), the emulator's
//! log (no refresh refused), the caller (every call for a token gets one
//! within the request timeout, 2 s) and the log: one warning per outage.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::redis::RedisServer;
use common::{config, server, session_key};
use revault_auth::tokio::{ReqwestTransport, TokenManager, TokenStore as _};
use revault_auth_mock::{Endpoint, MockServer};
use revault_auth_store_redis::RedisStore;
use tracing_subscriber::layer::SubscriberExt as _;

/// Counts warnings logged.
struct Warnings(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::WARN {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn store(redis: &RedisServer) -> RedisStore {
    RedisStore::connect(&redis.url())
        .expect("a loopback URL")
        .with_io_timeout(Duration::from_millis(300))
}

/// A tokio manager of the emulator's session on `redis`.
fn manager(server: &MockServer, redis: &RedisServer) -> TokenManager {
    let transport = ReqwestTransport::new().expect("client");
    TokenManager::builder(config(server), transport)
        .with_store(store(redis))
        .build()
        .expect("manager")
}

/// Serves tokens (each within the request timeout) until `done` or the
/// deadline, which fails the test with `what`.
async fn serve_until(manager: &TokenManager, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(12);
    let manager = manager.clone().wait_timeout(Duration::from_secs(2));
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        manager
            .token()
            .await
            .expect("a token within the request timeout");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_at_start_then_killed_and_restarted_empty_gets_the_session() {
    let Some(mut redis) = RedisServer::down() else {
        return;
    };
    let warnings = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(Warnings(Arc::clone(&warnings)));
    let _logging = tracing::subscriber::set_default(subscriber);
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let key = session_key(&server);
    let manager = manager(&server, &redis);

    // Down at start: alone, through a refresh point.
    let alone_until = Instant::now() + Duration::from_secs(2);
    serve_until(&manager, "serving alone", || Instant::now() >= alone_until).await;
    assert!(server.token_requests() >= 1, "a session of its own");

    redis.run();
    let reader = store(&redis);
    let saved = || reader.load(&key).ok().flatten().is_some();
    serve_until(&manager, "the session never reached Redis", saved).await;

    redis.kill();
    let killed_until = Instant::now() + Duration::from_secs(2);
    serve_until(&manager, "serving with Redis gone", || {
        Instant::now() >= killed_until
    })
    .await;
    redis.run();
    serve_until(
        &manager,
        "the session never reached the restarted Redis",
        saved,
    )
    .await;

    manager.shutdown().await;
    assert_eq!(server.refused_refreshes(), 0, "a refresh token spent twice");
    assert_eq!(warnings.load(Ordering::SeqCst), 2, "one warning per outage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_frozen_past_the_lock_deadline_then_continued() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let key = session_key(&server);
    let manager = manager(&server, &redis);
    let reader = store(&redis);
    let version = || reader.load(&key).ok().flatten().map(|saved| saved.version);
    serve_until(&manager, "the session never reached Redis", || {
        version().is_some()
    })
    .await;
    let before = version().expect("saved");

    // Frozen past the lock deadline (2 s request timeout and a second),
    // through a refresh point or two.
    redis.freeze();
    let frozen_at = Instant::now();
    let frozen_until = Instant::now() + Duration::from_secs(4);
    serve_until(&manager, "serving with Redis frozen", || {
        Instant::now() >= frozen_until
    })
    .await;
    redis.thaw();
    serve_until(&manager, "no session saved after Redis continued", || {
        version().is_some_and(|now| now > before)
    })
    .await;

    manager.shutdown().await;
    assert_eq!(server.refused_refreshes(), 0, "a refresh token spent twice");
    // The refresh token in Redis is left to whoever holds the lock.
    let first = server
        .log()
        .into_iter()
        .find(|logged| logged.at > frozen_at)
        .expect("a request while Redis was frozen");
    assert_eq!(
        first.endpoint,
        Endpoint::Token,
        "the stored refresh token was sent without the lock"
    );
}
