//! The protocol of `revault_auth_store` on Redis, as a fleet runs it:
//! racers that each have their own store (their own connections, as
//! separate processes would) renew once between them, whether they are
//! threads or async tasks going through `spawn_blocking`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{key, server_or_skip, tokens};
use revault_auth_store_redis::{StoreError, TokenStore};

/// What a driver does when its tokens need renewing: lock, reload, and
/// only "send a refresh" (count it) when nobody saved a newer session.
fn renew(store: &dyn TokenStore, refreshes: &AtomicUsize) -> u64 {
    let _guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(10))
        .expect("update lock");
    let current = store.load(&key()).expect("load").map(|saved| saved.version);
    if let Some(current) = current {
        return current;
    }
    refreshes.fetch_add(1, Ordering::SeqCst);
    // The request takes a while; the others wait on the lock meanwhile.
    std::thread::sleep(Duration::from_millis(50));
    store
        .save(&key(), &tokens("zz-renewed"), None)
        .expect("compare-and-swap")
}

#[test]
fn blocking_threads_renew_once_between_them() {
    let server = server_or_skip!();
    let refreshes = Arc::new(AtomicUsize::new(0));
    let versions: Vec<u64> = (0..8)
        .map(|_| {
            let store: Arc<dyn TokenStore> = Arc::new(server.store());
            let refreshes = Arc::clone(&refreshes);
            std::thread::spawn(move || renew(&*store, &refreshes))
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

#[test]
fn async_tasks_renew_once_between_them_through_spawn_blocking() {
    let server = server_or_skip!();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let refreshes = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store: Arc<dyn TokenStore> = Arc::new(server.store());
                let refreshes = Arc::clone(&refreshes);
                tokio::spawn(async move {
                    let deadline = Instant::now() + Duration::from_secs(10);
                    let (guard, current) = tokio::task::spawn_blocking({
                        let store = Arc::clone(&store);
                        move || {
                            let guard = store.lock_for_update(&key(), deadline)?;
                            let current = store.load(&key())?.map(|saved| saved.version);
                            Ok::<_, StoreError>((guard, current))
                        }
                    })
                    .await
                    .expect("task")
                    .expect("lock and load");
                    if current.is_none() {
                        refreshes.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        let store = Arc::clone(&store);
                        tokio::task::spawn_blocking(move || {
                            store.save(&key(), &tokens("zz-async"), None)
                        })
                        .await
                        .expect("task")
                        .expect("save");
                    }
                    // Held across awaits, released by dropping.
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
