//! The added cost of a refresh with a shared store: what a manager does
//! around each grant when it has one (take the update lock, reload, save
//! with compare-and-swap, all on a `FileStore` with its fsync and atomic
//! rename), beside what it does without one (nothing: the core cycle is
//! `core_cycle`'s figure). Run in a private temporary directory, so the
//! figure is the disk's under it.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use revault_auth::tokio::{FileStore, SessionKey, TokenStore};
use revault_auth_core::{AccessTokenSecret, RefreshToken, SAVED_FORMAT, SavedTokens};

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
    let mut version = store.save(&key, &snapshot, None).expect("first save");
    let mut group = c.benchmark_group("refresh_with_store");
    group.bench_function("without a store (nothing to do)", |b| {
        b.iter(|| black_box(&snapshot));
    });
    group.bench_function("lock + reload + save (FileStore)", |b| {
        b.iter(|| {
            let deadline = Instant::now() + Duration::from_secs(10);
            let guard = store.lock_for_update(&key, deadline).expect("lock");
            let loaded = store.load(&key).expect("load").expect("saved");
            version = store
                .save(&key, &snapshot, Some(loaded.version))
                .expect("save");
            drop(guard);
            black_box(version)
        });
    });
    group.finish();
}

criterion_group!(benches, store_round_trip);
criterion_main!(benches);
