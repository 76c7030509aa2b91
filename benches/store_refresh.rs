//! The added cost of a refresh with a shared store: what a manager does
//! around each grant when it has one (take the update lock, reload, save
//! with compare-and-swap, all on a `FileStore` with its fsync and atomic
//! rename), beside what it does without one (nothing: the core cycle is
//! `core_cycle`'s figure). Run in a private temporary directory, so the
//! figure is the disk's under it. The same cycle on a `RedisStore`, against
//! a `redis-server` this bench starts on loopback (skipped, with a message,
//! when none is installed): the figure is the round trips' and the
//! server's, with no network between.

use std::hint::black_box;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use revault_auth::tokio::{FileStore, SessionKey, TokenStore};
use revault_auth_core::{AccessTokenSecret, RefreshToken, SAVED_FORMAT, SavedTokens};
use revault_auth_store_redis::RedisStore;

const WORKSPACE: &str = "bench-workspace";
const KEY_ID: &str = "bench-key";

fn tokens() -> SavedTokens {
    let now = u64::try_from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis(),
    )
    .expect("fits");
    SavedTokens {
        format: SAVED_FORMAT,
        version: 0,
        workspace: WORKSPACE.to_owned(),
        api_key_id: KEY_ID.to_owned(),
        access_token: AccessTokenSecret::new(format!("eyJ.{}.sig", "a".repeat(600))),
        access_expires_at_unix_ms: now + 300_000,
        access_usable_until_unix_ms: now + 290_000,
        access_refresh_at_unix_ms: now + 230_000,
        refresh_token: Some(RefreshToken::new("r".repeat(64))),
        refresh_usable_until_unix_ms: now + 1_790_000,
        saved_at_unix_ms: now,
    }
}

fn store_round_trip(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a private directory");
    let store = FileStore::new(dir.path().join("tokens.json"));
    let key = SessionKey::new("https://revault.example/v1/rest", WORKSPACE, KEY_ID);
    let snapshot = tokens();
    store.save(&key, &snapshot, None).expect("first save");
    let mut group = c.benchmark_group("refresh_with_store");
    group.bench_function("without a store (nothing to do)", |b| {
        b.iter(|| black_box(&snapshot));
    });
    group.bench_function("lock + reload + save (FileStore)", |b| {
        b.iter(|| black_box(cycle(&store, &key, &snapshot)));
    });
    if let Some(server) = LocalRedis::start() {
        let redis = RedisStore::connect(&server.url()).expect("a loopback Redis URL");
        redis.save(&key, &snapshot, None).expect("first save");
        group.bench_function("lock + reload + save (RedisStore, loopback)", |b| {
            b.iter(|| black_box(cycle(&redis, &key, &snapshot)));
        });
    }
    group.finish();
}

/// What a manager does around one grant with a store: take the update
/// lock, reload, save on the version loaded, release.
fn cycle(store: &dyn TokenStore, key: &SessionKey, snapshot: &SavedTokens) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    let guard = store.lock_for_update(key, deadline).expect("lock");
    let loaded = store.load(key).expect("load").expect("saved");
    let version = store
        .save(key, snapshot, Some(loaded.version))
        .expect("save");
    drop(guard);
    version
}

const REDIS_PASSWORD: &str = "bench-redis-password";

/// A `redis-server` on a free loopback port, in a private directory, with
/// a password, killed on drop.
struct LocalRedis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl LocalRedis {
    fn start() -> Option<Self> {
        let dir = tempfile::tempdir().expect("a private directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(dir.path())
            .args([
                "--requirepass",
                REDIS_PASSWORD,
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("redis-server is not installed: the RedisStore row is skipped");
            return None;
        };
        let server = Self {
            child,
            port,
            _dir: dir,
        };
        let probe = RedisStore::connect(&server.url()).expect("a loopback Redis URL");
        let key = SessionKey::new("https://probe.invalid", "probe", "probe");
        let ready = Instant::now() + Duration::from_secs(10);
        while probe.load(&key).is_err() {
            assert!(Instant::now() < ready, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://:{REDIS_PASSWORD}@127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

criterion_group!(benches, store_round_trip);
criterion_main!(benches);
