//! Racers that renew one session through `Arc<dyn TokenStore>`, as a
//! blocking driver (threads) and an async one (through `spawn_blocking`,
//! holding the guard across `.await`) do: each store's tests run them
//! against their store (included by path).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use revault_auth_core::SavedTokens;
use revault_auth_store::{SessionKey, StoreError, TokenStore};

/// What a driver does when its tokens need renewing: lock, reload, and
/// only "send a refresh" (count it) when nobody saved a session yet.
fn renew(
    store: &dyn TokenStore,
    key: &SessionKey,
    renewed: &SavedTokens,
    refreshes: &AtomicUsize,
) -> u64 {
    let _guard = store
        .lock_for_update(key, Instant::now() + Duration::from_secs(10))
        .expect("update lock");
    let current = store.load(key).expect("load").map(|saved| saved.version);
    if let Some(current) = current {
        return current;
    }
    refreshes.fetch_add(1, Ordering::SeqCst);
    // The request takes a while; the others wait on the lock meanwhile.
    std::thread::sleep(Duration::from_millis(50));
    store.save(key, renewed, None).expect("compare-and-swap")
}

/// Eight threads, each with the store `racer_store` gives it, renew
/// `key`: exactly one refreshes, and all end on the same version.
pub(crate) fn threads_renew_once(
    racer_store: impl Fn() -> Arc<dyn TokenStore>,
    key: &SessionKey,
    renewed: &SavedTokens,
) {
    let refreshes = Arc::new(AtomicUsize::new(0));
    let versions: Vec<u64> = (0..8)
        .map(|_| {
            let (store, refreshes) = (racer_store(), Arc::clone(&refreshes));
            let (key, renewed) = (key.clone(), renewed.clone());
            std::thread::spawn(move || renew(&*store, &key, &renewed, &refreshes))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|thread| thread.join().expect("thread"))
        .collect();
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    assert!(
        versions.windows(2).all(|pair| pair[0] == pair[1]),
        "{versions:?}"
    );
}

/// Eight tokio tasks, each with the store `racer_store` gives it, renew
/// `key` through `spawn_blocking`: exactly one refreshes.
pub(crate) fn async_tasks_renew_once(
    racer_store: impl Fn() -> Arc<dyn TokenStore>,
    key: &SessionKey,
    renewed: &SavedTokens,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let refreshes = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, refreshes) = (racer_store(), Arc::clone(&refreshes));
                let (key, renewed) = (key.clone(), renewed.clone());
                tokio::spawn(async move {
                    // Take the lock off the runtime, hold the guard across
                    // an await, release it by dropping.
                    let deadline = Instant::now() + Duration::from_secs(10);
                    let (guard, current) = tokio::task::spawn_blocking({
                        let (store, key) = (Arc::clone(&store), key.clone());
                        move || {
                            let guard = store.lock_for_update(&key, deadline)?;
                            let current = store.load(&key)?.map(|saved| saved.version);
                            Ok::<_, StoreError>((guard, current))
                        }
                    })
                    .await
                    .expect("task")
                    .expect("lock and load");
                    if current.is_none() {
                        refreshes.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        tokio::task::spawn_blocking(move || store.save(&key, &renewed, None))
                            .await
                            .expect("task")
                            .expect("save");
                    }
                    drop(guard);
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
    });
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}
