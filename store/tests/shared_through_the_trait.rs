//! The trait serves a blocking driver (threads) and an async one (through
//! `spawn_blocking`, holding the guard across `.await`) alike, as
//! `Arc<dyn TokenStore>`: under the update lock, exactly one of several
//! racers "refreshes"; the others find its session and use it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{key, tokens};
use revault_auth_store::{FileStore, TokenStore};

/// What a driver does when its tokens need renewing: lock, reload, and
/// only "send a refresh" (count it) when nobody saved a newer session.
fn renew(store: &dyn TokenStore, seen: Option<u64>, refreshes: &AtomicUsize) -> u64 {
    let _guard = store
        .lock_for_update(&key(), Instant::now() + Duration::from_secs(10))
        .expect("update lock");
    let current = store.load(&key()).expect("load").map(|saved| saved.version);
    if current != seen {
        return current.expect("a newer session");
    }
    refreshes.fetch_add(1, Ordering::SeqCst);
    // The request takes a while; the others wait on the lock meanwhile.
    std::thread::sleep(Duration::from_millis(50));
    store
        .save(&key(), &tokens("zz-renewed"), current)
        .expect("compare-and-swap")
}

#[test]
fn blocking_threads_renew_once_between_them() {
    let (_dir, path) = common::scratch();
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(&path));
    let refreshes = Arc::new(AtomicUsize::new(0));
    let versions: Vec<u64> = (0..8)
        .map(|_| {
            let (store, refreshes) = (Arc::clone(&store), Arc::clone(&refreshes));
            std::thread::spawn(move || renew(&*store, None, &refreshes))
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (_dir, path) = common::scratch();
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(&path));
    let refreshes = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (store, refreshes) = (Arc::clone(&store), Arc::clone(&refreshes));
                tokio::spawn(async move {
                    // Take the lock off the runtime, hold the guard across
                    // an await, release it by dropping.
                    let deadline = Instant::now() + Duration::from_secs(10);
                    let (guard, current) = tokio::task::spawn_blocking({
                        let store = Arc::clone(&store);
                        move || {
                            let guard = store.lock_for_update(&key(), deadline)?;
                            let current = store.load(&key())?.map(|saved| saved.version);
                            Ok::<_, revault_auth_store::StoreError>((guard, current))
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
