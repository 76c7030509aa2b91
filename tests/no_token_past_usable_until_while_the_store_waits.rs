//! A token is never served past its `usable_until`, whatever the driver is
//! waiting on. Here another process holds the token store's update lock
//! (or a save) for longer than the token has left, and the request timeout
//! (30 s; the lock is waited for a second longer) is far longer than the
//! token's safety floor: the driver must keep its timers and commands
//! running while it waits for the store.
//!
//! Oracle: every token the manager serves is shown to the emulator, which
//! refuses an expired one; commands are answered while the store still
//! holds the lock back; the driver sleeps meanwhile (it reads the wall
//! clock on every wake-up: a handful of reads, not one per spin).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::{KEY_ID, SECRET, WORKSPACE, config_for, mock_config};
use revault_auth::tokio::{TokenStore as _, WallClock};
use revault_auth::{AccessToken, ApiKeySecret, Config, TokenError};
use revault_auth_mock::MockServer;

/// A store call held up by "another process" until the test lets it go
/// (or, so that a failing run still ends, after `GIVE_UP`).
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
    /// Store calls waiting at the gate now.
    waiting: AtomicUsize,
}

const GIVE_UP: Duration = Duration::from_secs(15);

impl Gate {
    fn pass(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let open = self.open.lock().expect("gate");
        let _open = self
            .changed
            .wait_timeout_while(open, GIVE_UP, |open| !*open)
            .expect("gate");
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    fn open(&self) {
        *self.open.lock().expect("gate") = true;
        self.changed.notify_all();
    }

    fn holds_a_call(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) > 0
    }

    /// Waits until the manager makes the call held up (at its refresh point).
    fn wait_for_a_held_call(&self) {
        let until = Instant::now() + Duration::from_secs(10);
        while !self.holds_a_call() {
            assert!(
                Instant::now() < until,
                "the manager never made the call held up"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Opens the gate however the test ends, so the manager can stop.
struct OpenOnDrop(Arc<Gate>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// Which store call another process holds up.
#[derive(Clone, Copy, PartialEq)]
enum Stall {
    /// The update lock, from the second one on (the first refresh).
    Lock,
    /// The save, from the second one on (the first refreshed token).
    Save,
}

/// A file store one of whose calls, after the first, waits at the gate.
struct SlowStore {
    inner: revault_auth::tokio::FileStore,
    gate: Arc<Gate>,
    stall: Stall,
    calls: AtomicUsize,
}

impl SlowStore {
    fn maybe_wait(&self, call: Stall) {
        if call == self.stall && self.calls.fetch_add(1, Ordering::SeqCst) > 0 {
            self.gate.pass();
        }
    }
}

impl revault_auth::tokio::TokenStore for SlowStore {
    fn load(
        &self,
        session: &revault_auth::tokio::SessionKey,
    ) -> Result<Option<revault_auth::SavedTokens>, revault_auth::tokio::StoreError> {
        self.inner.load(session)
    }

    fn lock_for_update(
        &self,
        session: &revault_auth::tokio::SessionKey,
        deadline: Instant,
    ) -> Result<revault_auth::tokio::UpdateGuard, revault_auth::tokio::StoreError> {
        self.maybe_wait(Stall::Lock);
        self.inner.lock_for_update(session, deadline)
    }

    fn save(
        &self,
        session: &revault_auth::tokio::SessionKey,
        tokens: &revault_auth::SavedTokens,
        expected_version: Option<u64>,
    ) -> Result<u64, revault_auth::tokio::StoreError> {
        self.maybe_wait(Stall::Save);
        self.inner.save(session, tokens, expected_version)
    }
}

/// The store, a reader of the same file, and the gate.
fn slow_store(
    dir: &tempfile::TempDir,
    stall: Stall,
) -> (SlowStore, revault_auth::tokio::FileStore, Arc<Gate>) {
    let path = dir.path().join("tokens.json");
    let gate = Arc::new(Gate::default());
    let store = SlowStore {
        inner: revault_auth::tokio::FileStore::new(&path),
        gate: Arc::clone(&gate),
        stall,
        calls: AtomicUsize::new(0),
    };
    (store, revault_auth::tokio::FileStore::new(&path), gate)
}

fn slow_lock_store(dir: &tempfile::TempDir) -> (SlowStore, Arc<Gate>) {
    let (store, _, gate) = slow_store(dir, Stall::Lock);
    (store, gate)
}

/// 3 s tokens (usable for 2.7 s, refreshed from about 2.25 s) and a 30 s
/// request timeout: the store's lock may be awaited ten times longer than
/// the token lives.
fn setup() -> (MockServer, Config) {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(3),
        Duration::from_secs(600),
    ))
    .expect("emulator");
    let config = config_for(&server)
        .tune(|policy| policy.request_timeout = Duration::from_secs(30))
        .build()
        .expect("config");
    (server, config)
}

/// Whether the emulator accepts `token` on a protected route.
fn accepted(server: &MockServer, token: &AccessToken) -> bool {
    ureq::get(server.url("/accounts"))
        .header("authorization", token.header_value())
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .is_ok_and(|answer| answer.status() == 200)
}

/// What the scenarios need from a manager, whatever runs it.
trait Manager {
    fn token(&self) -> Result<Arc<AccessToken>, TokenError>;
    fn try_token(&self) -> Option<Arc<AccessToken>>;
    fn update_api_key(&self) -> Result<(), TokenError>;
    fn shutdown(&self);
}

/// While the lock is held back, every token served is one the emulator
/// accepts (so none past its expiry), the expired one is no longer served,
/// and once the lock is free a new token is.
fn served_tokens_stay_valid_while_the_lock_waits(
    server: &MockServer,
    gate: &Arc<Gate>,
    manager: &dyn Manager,
) {
    let _open = OpenOnDrop(Arc::clone(gate));
    let first = manager.token().expect("a first token");
    assert!(accepted(server, &first));
    gate.wait_for_a_held_call();

    // Until well past the first token's expiry, the lock is still awaited.
    let until = SystemTime::now() + Duration::from_secs(2);
    let mut served_after_expiry = 0;
    while SystemTime::now() < until {
        if let Some(token) = manager.try_token() {
            assert!(
                accepted(server, &token),
                "generation {} was served after the emulator stopped accepting it",
                token.generation().get()
            );
            if Instant::now() >= first.expires_at() {
                served_after_expiry += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(gate.holds_a_call(), "the lock was held back throughout");
    assert_eq!(served_after_expiry, 0, "a token outlived its expiry");
    assert!(
        manager.try_token().is_none(),
        "the expired token is withdrawn"
    );

    gate.open();
    let next = manager.token().expect("a token once the lock is free");
    assert!(next.generation() > first.generation());
    assert!(accepted(server, &next));
    manager.shutdown();
}

/// While the lock is held back, the driver still answers commands: a key
/// update and a shutdown both return before the lock is granted.
fn commands_are_answered_while_the_lock_waits(gate: &Arc<Gate>, manager: &dyn Manager) {
    let _open = OpenOnDrop(Arc::clone(gate));
    manager.token().expect("a first token");
    gate.wait_for_a_held_call();
    manager
        .update_api_key()
        .expect("the key update is answered");
    assert!(
        gate.holds_a_call(),
        "answered while the store still held the lock back"
    );
    manager.shutdown();
    assert!(
        gate.holds_a_call(),
        "stopped while the store still held the lock back"
    );
}

/// While the refreshed token's save is held back, the token served before
/// stays until its own deadline and is then withdrawn, and the new one is
/// not served before the store holds it.
fn new_tokens_wait_for_their_save(
    server: &MockServer,
    gate: &Arc<Gate>,
    reader: &revault_auth::tokio::FileStore,
    manager: &dyn Manager,
) {
    let _open = OpenOnDrop(Arc::clone(gate));
    let first = manager.token().expect("a first token");
    gate.wait_for_a_held_call();
    let key = revault_auth::tokio::SessionKey::new(server.base_url(), WORKSPACE, KEY_ID);
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        if let Some(token) = manager.try_token() {
            assert!(accepted(server, &token), "an expired token was served");
            assert_eq!(
                token.generation(),
                first.generation(),
                "a token was served before its save"
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(gate.holds_a_call(), "the save was held back throughout");
    assert!(
        manager.try_token().is_none(),
        "the expired token is withdrawn"
    );

    gate.open();
    let next = manager.token().expect("the refreshed token once saved");
    assert!(next.generation() > first.generation());
    let saved = reader.load(&key).expect("load").expect("saved");
    assert_eq!(
        saved.access_token.expose_secret(),
        next.secret().expose_secret()
    );
    assert!(accepted(server, &next));
    manager.shutdown();
}

/// A wall clock that counts its readings.
#[derive(Clone, Default)]
struct CountingClock(Arc<AtomicUsize>);

impl CountingClock {
    fn wall(&self) -> WallClock {
        let reads = Arc::clone(&self.0);
        WallClock::new(move || {
            reads.fetch_add(1, Ordering::SeqCst);
            SystemTime::now()
        })
    }

    fn reads(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// While the lock is held back past the refresh point and the token's
/// expiry, the driver wakes for the expiry and its heartbeat, not in a
/// loop: the refresh it cannot send yet is not a deadline.
fn the_driver_sleeps_while_the_lock_waits(
    gate: &Arc<Gate>,
    clock: &CountingClock,
    manager: &dyn Manager,
) {
    let _open = OpenOnDrop(Arc::clone(gate));
    let first = manager.token().expect("a first token");
    gate.wait_for_a_held_call();
    let before = clock.reads();
    while Instant::now() < first.expires_at() + Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let reads = clock.reads() - before;
    assert!(gate.holds_a_call(), "the lock was held back throughout");
    assert!(
        reads < 100,
        "{reads} wall-clock reads while the lock was awaited"
    );
    manager.shutdown();
}

// ----- tokio ---------------------------------------------------------------

struct Tokio {
    runtime: tokio::runtime::Runtime,
    manager: revault_auth::tokio::TokenManager,
}

impl Tokio {
    fn build(config: Config, store: SlowStore, wall: WallClock) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let _entered = runtime.enter();
        let transport = revault_auth::tokio::ReqwestTransport::new().expect("client");
        let manager = revault_auth::tokio::TokenManager::builder(config, transport)
            .with_store(store)
            .wall_clock(wall)
            .build()
            .expect("manager");
        Self { runtime, manager }
    }
}

impl Manager for Tokio {
    fn token(&self) -> Result<Arc<AccessToken>, TokenError> {
        self.runtime.block_on(self.manager.token_owned())
    }

    fn try_token(&self) -> Option<Arc<AccessToken>> {
        self.manager.try_token().map(|token| token.into_owned())
    }

    fn update_api_key(&self) -> Result<(), TokenError> {
        let update = self
            .manager
            .update_api_key(KEY_ID, ApiKeySecret::new(SECRET));
        self.runtime.block_on(update)
    }

    fn shutdown(&self) {
        self.runtime.block_on(self.manager.shutdown());
    }
}

#[test]
fn tokio_serves_no_token_past_usable_until_while_the_store_lock_waits() {
    let (server, config) = setup();
    let dir = tempfile::tempdir().expect("a private directory");
    let (store, gate) = slow_lock_store(&dir);
    let manager = Tokio::build(config, store, WallClock::default());
    served_tokens_stay_valid_while_the_lock_waits(&server, &gate, &manager);
}

#[test]
fn tokio_answers_commands_while_the_store_lock_waits() {
    let (_server, config) = setup();
    let dir = tempfile::tempdir().expect("a private directory");
    let (store, gate) = slow_lock_store(&dir);
    let manager = Tokio::build(config, store, WallClock::default());
    commands_are_answered_while_the_lock_waits(&gate, &manager);
}

#[test]
fn tokio_serves_no_token_past_usable_until_nor_unsaved_while_the_save_waits() {
    let (server, config) = setup();
    let dir = tempfile::tempdir().expect("a private directory");
    let (store, reader, gate) = slow_store(&dir, Stall::Save);
    let manager = Tokio::build(config, store, WallClock::default());
    new_tokens_wait_for_their_save(&server, &gate, &reader, &manager);
}

#[test]
fn tokio_driver_sleeps_while_the_store_lock_waits() {
    let (_server, config) = setup();
    let dir = tempfile::tempdir().expect("a private directory");
    let (store, gate) = slow_lock_store(&dir);
    let clock = CountingClock::default();
    let manager = Tokio::build(config, store, clock.wall());
    the_driver_sleeps_while_the_lock_waits(&gate, &clock, &manager);
}

// ----- async-std / smol ----------------------------------------------------

struct AsyncStd(revault_auth::async_std::TokenManager);

impl AsyncStd {
    fn build(config: Config, store: SlowStore, wall: WallClock) -> Self {
        let transport = revault_auth::async_std::UreqTransport::new();
        let manager = revault_auth::async_std::TokenManager::builder(config, transport)
            .with_store(store)
            .wall_clock(wall)
            .build()
            .expect("manager");
        Self(manager)
    }
}

impl Manager for AsyncStd {
    fn token(&self) -> Result<Arc<AccessToken>, TokenError> {
        smol::block_on(self.0.token_owned())
    }

    fn try_token(&self) -> Option<Arc<AccessToken>> {
        self.0.try_token().map(|token| token.into_owned())
    }

    fn update_api_key(&self) -> Result<(), TokenError> {
        async_std::task::block_on(self.0.update_api_key(KEY_ID, ApiKeySecret::new(SECRET)))
    }

    fn shutdown(&self) {
        smol::block_on(self.0.shutdown());
    }
}

#[test]
fn async_std_serves_no_token_past_usable_until_while_the_store_lock_waits() {
    let (server, config) = setup();
    let dir = tempfile::tempdir().expect("a private directory");
    let (store, gate) = slow_lock_store(&dir);
    let manager = AsyncStd::build(config, store, WallClock::default());
    served_tokens_stay_valid_while_the_lock_waits(&server, &gate, &manager);
}

#[test]
fn async_std_answers_commands_while_the_store_lock_waits() {
    let (_server, config) = setup();
    let dir = tempfile::tempdir().expect("a private directory");
    let (store, gate) = slow_lock_store(&dir);
    let manager = AsyncStd::build(config, store, WallClock::default());
    commands_are_answered_while_the_lock_waits(&gate, &manager);
}

#[test]
fn async_std_driver_sleeps_while_the_store_lock_waits() {
    let (_server, config) = setup();
    let dir = tempfile::tempdir().expect("a private directory");
    let (store, gate) = slow_lock_store(&dir);
    let clock = CountingClock::default();
    let manager = AsyncStd::build(config, store, clock.wall());
    the_driver_sleeps_while_the_lock_waits(&gate, &clock, &manager);
}

#[test]
fn async_std_serves_no_token_past_usable_until_nor_unsaved_while_the_save_waits() {
    let (server, config) = setup();
    let dir = tempfile::tempdir().expect("a private directory");
    let (store, reader, gate) = slow_store(&dir, Stall::Save);
    let manager = AsyncStd::build(config, store, WallClock::default());
    new_tokens_wait_for_their_save(&server, &gate, &reader, &manager);
}
