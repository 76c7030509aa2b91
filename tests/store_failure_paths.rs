//! A token store that fails: its update lock cannot be had, or it does not
//! answer at all. Whatever it does, no refresh token the store may have
//! handed to another process is sent, and the manager keeps serving
//! tokens. Oracles: the emulator's log (what was sent) and the calls the
//! store saw.

mod common;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{config, file_store, server, session_key};
use revault_auth::SavedTokens;
use revault_auth::tokio::{
    FileStore, ReqwestTransport, SessionKey, StoreError, TokenManager, TokenStore, UpdateGuard,
};
use revault_auth_mock::{Endpoint, Fault, MockServer, Target};
use tracing_subscriber::layer::SubscriberExt as _;

/// What the fake store does with each call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Loads and saves work; the lock times out at once.
    LockTimesOut,
    /// Every call fails as a store server that does not answer.
    Unreachable,
    /// Every call fails as a store server that stopped (SIGSTOP) does:
    /// after [`FROZEN_FOR`]; the lock at its deadline (a waiter that began
    /// polling the lock before the server stopped waits that long).
    Frozen,
    /// Loads and saves work; the lock is granted, but only after
    /// [`LATE_BY`] (a store that answers long after the refresh window).
    LockLate,
    /// Every call works.
    Up,
}

/// How long a call to a frozen store takes to fail: a server store's I/O
/// timeout, as long as the request timeout here.
const FROZEN_FOR: Duration = Duration::from_secs(2);

/// How long a late lock takes to be granted.
const LATE_BY: Duration = Duration::from_millis(2500);

/// One call the store saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Load,
    /// With how long the caller allowed for the lock.
    Lock(Duration),
    Save,
}

/// A file store whose failures the test chooses, recording every call.
struct FaultyStore {
    inner: FileStore,
    mode: Mutex<Mode>,
    calls: Mutex<Vec<(Instant, Call)>>,
}

impl FaultyStore {
    fn new(path: &std::path::Path, mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            inner: FileStore::new(path),
            mode: Mutex::new(mode),
            calls: Mutex::new(Vec::new()),
        })
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }

    fn calls(&self) -> Vec<(Instant, Call)> {
        self.calls.lock().expect("calls").clone()
    }

    /// Records `call` (bounded by `deadline`); the error to fail it with,
    /// if it fails.
    fn call(
        &self,
        call: Call,
        fails_in: Mode,
        deadline: Option<Instant>,
    ) -> Result<(), StoreError> {
        let started = Instant::now();
        self.calls.lock().expect("calls").push((started, call));
        let mode = *self.mode.lock().expect("mode");
        let unreachable = |kind| StoreError::Unreachable {
            operation: "reach",
            store: "redis://127.0.0.1:1".to_owned(),
            source: io::Error::from(kind),
        };
        match mode {
            Mode::Unreachable => Err(unreachable(io::ErrorKind::ConnectionRefused)),
            Mode::Frozen => {
                let until = deadline.unwrap_or(started + FROZEN_FOR);
                std::thread::sleep(until.saturating_duration_since(Instant::now()));
                Err(unreachable(io::ErrorKind::TimedOut))
            }
            Mode::LockLate if fails_in == Mode::LockTimesOut => {
                std::thread::sleep(LATE_BY);
                Ok(())
            }
            Mode::LockTimesOut if fails_in == Mode::LockTimesOut => Err(StoreError::LockTimeout {
                path: "tokens.json.update.lock".into(),
                waited: Duration::ZERO,
            }),
            _ => Ok(()),
        }
    }
}

impl TokenStore for FaultyStore {
    fn load(&self, session: &SessionKey) -> Result<Option<SavedTokens>, StoreError> {
        self.call(Call::Load, Mode::Up, None)?;
        self.inner.load(session)
    }

    fn lock_for_update(
        &self,
        session: &SessionKey,
        deadline: Instant,
    ) -> Result<UpdateGuard, StoreError> {
        let allowed = deadline.saturating_duration_since(Instant::now());
        self.call(Call::Lock(allowed), Mode::LockTimesOut, Some(deadline))?;
        self.inner.lock_for_update(session, deadline)
    }

    fn save(
        &self,
        session: &SessionKey,
        tokens: &SavedTokens,
        expected_version: Option<u64>,
    ) -> Result<u64, StoreError> {
        self.call(Call::Save, Mode::Up, None)?;
        self.inner.save(session, tokens, expected_version)
    }
}

fn manager(server: &MockServer, store: &Arc<FaultyStore>) -> TokenManager {
    let transport = ReqwestTransport::new().expect("client");
    TokenManager::builder(config(server), transport)
        .with_store(Arc::clone(store))
        .build()
        .expect("manager")
}

/// Reads a token every 20 ms for `run`; each read must succeed within
/// the request timeout (2 s).
async fn serve(manager: &TokenManager, run: Duration) {
    let until = Instant::now() + run;
    let manager = manager.clone().wait_timeout(Duration::from_secs(2));
    while Instant::now() < until {
        manager
            .token()
            .await
            .expect("a token within the request timeout");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads a token every 20 ms for `run`; the longest a read waited.
async fn longest_wait(manager: &TokenManager, run: Duration) -> Duration {
    let until = Instant::now() + run;
    let mut longest = Duration::ZERO;
    while Instant::now() < until {
        let asked = Instant::now();
        manager.token().await.expect("a token");
        longest = longest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    longest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_store_keeps_no_caller_waiting_longer_than_a_request_timeout() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    // Every answer takes a tenth of a second, as over a network.
    server.set_persistent_fault(Target::Both, Some(Fault::delay(Duration::from_millis(100))));
    let (_dir, path) = file_store();
    let store = FaultyStore::new(&path, Mode::Up);
    let manager = manager(&server, &store);
    let before = longest_wait(&manager, Duration::from_millis(500)).await;
    store.set(Mode::Frozen);
    let frozen = longest_wait(&manager, Duration::from_secs(5)).await;
    store.set(Mode::Up);
    let after = longest_wait(&manager, Duration::from_secs(2)).await;
    manager.shutdown().await;
    eprintln!("longest waits: {before:?} before, {frozen:?} frozen, {after:?} after");
    // The request timeout is 2 s.
    for (when, waited) in [("frozen", frozen), ("after", after)] {
        assert!(
            waited <= Duration::from_secs(2),
            "{when}: a caller waited {waited:?} for a token"
        );
    }
    assert_eq!(server.refused_refreshes(), 0, "a refresh token spent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_granted_after_it_was_given_up_on_costs_a_login_and_is_released() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    server.set_persistent_fault(Target::Both, Some(Fault::delay(Duration::from_millis(100))));
    let (_dir, path) = file_store();
    let store = FaultyStore::new(&path, Mode::Up);
    let manager = manager(&server, &store);
    longest_wait(&manager, Duration::from_millis(500)).await;
    let late_from = Instant::now();
    store.set(Mode::LockLate);
    // One refresh point: the lock is asked for and given up on at the
    // token's deadline plus half the request timeout, before it is granted.
    let waited = longest_wait(&manager, Duration::from_millis(2500)).await;
    store.set(Mode::Up);
    longest_wait(&manager, Duration::from_secs(3)).await;
    assert!(
        waited <= Duration::from_secs(2),
        "a caller waited {waited:?} for a token"
    );
    let first = server
        .log()
        .into_iter()
        .find(|logged| logged.at > late_from)
        .expect("a request at the refresh point");
    assert_eq!(
        first.endpoint,
        Endpoint::Token,
        "the manager did not give up on the late lock and log in"
    );
    // The lock granted late was released: another process can take it.
    let key = session_key(&server);
    let taken = FileStore::new(&path)
        .lock_for_update(&key, Instant::now() + Duration::from_secs(1))
        .map(drop);
    manager.shutdown().await;
    assert!(taken.is_ok(), "the late lock was kept: {taken:?}");
    assert_eq!(server.refused_refreshes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_timeout_logs_in_and_never_sends_the_refresh_token() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let store = FaultyStore::new(&path, Mode::LockTimesOut);
    let manager = manager(&server, &store);
    // Two refresh points pass.
    serve(&manager, Duration::from_secs(4)).await;
    manager.shutdown().await;
    assert_eq!(
        server.refresh_requests(),
        0,
        "a refresh token was sent without the update lock"
    );
    assert!(server.token_requests() >= 2, "new sessions by API key");
    assert_eq!(server.refused_refreshes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_wait_covers_a_holders_request_and_store_calls() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let store = FaultyStore::new(&path, Mode::LockTimesOut);
    let manager = manager(&server, &store);
    serve(&manager, Duration::from_millis(200)).await;
    manager.shutdown().await;
    let allowed: Vec<Duration> = store
        .calls()
        .into_iter()
        .filter_map(|(_, call)| match call {
            Call::Lock(allowed) => Some(allowed),
            _ => None,
        })
        .collect();
    assert!(!allowed.is_empty(), "the lock was asked for");
    // The request timeout is 2 s; the holder also reloads and saves.
    for allowed in allowed {
        assert!(
            allowed > Duration::from_secs(2) + Duration::from_millis(500),
            "a waiter allowed only {allowed:?} for the lock"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_lock_is_not_followed_by_a_reload() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let store = FaultyStore::new(&path, Mode::Up);
    let manager = manager(&server, &store);
    serve(&manager, Duration::from_millis(200)).await;
    let went_down = Instant::now();
    store.set(Mode::Unreachable);
    serve(&manager, Duration::from_secs(3)).await;
    manager.shutdown().await;
    let calls = store.calls();
    let failed_lock = calls
        .iter()
        .rposition(|(_, call)| matches!(call, Call::Lock(_)))
        .expect("the lock was asked for at the refresh point");
    // The next call is the first try of the resting store, a second later.
    if let Some((at, next)) = calls.get(failed_lock + 1) {
        let after = at.saturating_duration_since(calls[failed_lock].0);
        assert!(
            after >= Duration::from_millis(900),
            "{next:?} {after:?} after the unreachable lock: {calls:?}"
        );
    }
    // Nor is a store that does not answer asked for its lock again.
    let locks_while_down = calls
        .iter()
        .filter(|(at, call)| *at > went_down && matches!(call, Call::Lock(_)))
        .count();
    assert_eq!(locks_while_down, 1, "{calls:?}");
    // The session in the store is left to others: a login of its own first.
    let first = server
        .log()
        .into_iter()
        .find(|logged| logged.at > went_down)
        .expect("a request at the refresh point");
    assert_eq!(
        first.endpoint,
        Endpoint::Token,
        "a refresh token from the store was sent without the lock"
    );
    assert_eq!(server.refused_refreshes(), 0);
}

/// Counts warnings logged.
struct Warnings(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::WARN {
            eprintln!("warning: {}", event.metadata().name());
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_store_at_start_warns_once_backs_off_and_shares_once_back() {
    let warnings = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(Warnings(Arc::clone(&warnings)));
    let _logging = tracing::subscriber::set_default(subscriber);
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let store = FaultyStore::new(&path, Mode::Unreachable);
    let manager = manager(&server, &store);

    // Alone, through several refresh points: tokens all along.
    serve(&manager, Duration::from_secs(4)).await;
    let down = store.calls();
    assert!(server.refresh_requests() > 0, "its own session, refreshed");
    assert_eq!(warnings.load(Ordering::SeqCst), 1, "warned once");
    // Tried again after 1 s, then 2 s: not on every wake-up.
    assert!(down.len() <= 3, "{} store calls in 4 s", down.len());
    for pair in down.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= Duration::from_millis(900),
            "{down:?}"
        );
    }

    store.set(Mode::Up);
    let back = Instant::now() + Duration::from_secs(8);
    let saved = loop {
        serve(&manager, Duration::from_millis(200)).await;
        if let Some(saved) = FileStore::new(&path)
            .load(&session_key(&server))
            .expect("load")
        {
            break saved;
        }
        assert!(Instant::now() < back, "the session never reached the store");
    };
    assert_eq!(saved.api_key_id, common::KEY_ID);
    manager.shutdown().await;
    assert_eq!(server.refused_refreshes(), 0);
    assert_eq!(warnings.load(Ordering::SeqCst), 1, "warned once in all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_restarted_empty_gets_the_session_again() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let store = FaultyStore::new(&path, Mode::Up);
    let manager = manager(&server, &store);
    serve(&manager, Duration::from_millis(500)).await;
    let key = session_key(&server);
    assert!(FileStore::new(&path).load(&key).expect("load").is_some());

    // Killed, and back with nothing in it.
    store.set(Mode::Unreachable);
    serve(&manager, Duration::from_secs(2)).await;
    std::fs::remove_file(&path).expect("the store emptied");
    store.set(Mode::Up);
    let back = Instant::now() + Duration::from_secs(8);
    while FileStore::new(&path).load(&key).expect("load").is_none() {
        assert!(
            Instant::now() < back,
            "the session never reached the store again"
        );
        serve(&manager, Duration::from_millis(200)).await;
    }
    manager.shutdown().await;
    assert_eq!(server.refused_refreshes(), 0);
}
