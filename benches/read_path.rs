//! Cost of reading a cached token: the tokio `TokenManager` fast path
//! (`try_token`: a version check and a clone of the thread's copy), the
//! blocking ureq manager's `token()` (the same plus one monotonic clock
//! read) and a per-thread `TokenReader` (one atomic load and a pointer
//! comparison) against the usual
//! `Mutex<Option<Arc<_>>>` and `RwLock<Option<Arc<_>>>` caches, with one
//! and two threads reading at once. With two threads each runs the same
//! number of reads concurrently and the time reported is per call, as each
//! thread sees it: a read path that does not scale shows up as a higher
//! number at two threads than at one.
//!
//! Before the timings it counts (not times) the server requests per refresh
//! with 10,000 concurrent callers, at a cold start and at expiry.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;
use revault_auth::core::testing::{ScriptedServer, ScriptedTransport};
use revault_auth::tokio::{TokenManager, TokenReader};
use revault_auth::{AccessToken, ApiKeySecret, Config};
use revault_auth_mock::{Fault, MockConfig, MockServer, Target};

type Read<'a> = &'a (dyn Fn() -> u64 + Sync);

fn one_thread(c: &mut Criterion, readers: &[(&str, Read<'_>)]) {
    let mut group = c.benchmark_group("read_path/1_thread");
    for (name, read) in readers {
        group.bench_function(*name, |b| b.iter(|| black_box(read())));
    }
    group.finish();
}

fn two_threads(c: &mut Criterion, readers: &[(&str, Read<'_>)]) {
    let mut group = c.benchmark_group("read_path/2_threads");
    for (name, read) in readers {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let run = |barrier: &Barrier| {
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(read());
                    }
                    start.elapsed()
                };
                let barrier = Barrier::new(2);
                std::thread::scope(|scope| {
                    let other = scope.spawn(|| run(&barrier));
                    let mine = run(&barrier);
                    let other = other.join().unwrap_or(mine);
                    mine.max(other)
                })
            });
        });
    }
    group.finish();
}

/// Requests the server sees for one token, with 10,000 callers asking at a
/// cold start, then at expiry (the refresh answer arrives after the token
/// was withdrawn, so every caller waits).
fn requests_per_refresh(runtime: &tokio::runtime::Runtime) -> (usize, usize) {
    runtime.block_on(async {
        let mock = MockConfig {
            api_key_secret: "bench-secret-value".to_owned(),
            ..MockConfig::default()
        }
        .with_ttls(Duration::from_secs(2), Duration::from_secs(30));
        let server = MockServer::start(mock).await.expect("emulator");
        server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(800)));
        let config = Config::builder(
            server.base_url(),
            MockConfig::DEFAULT_WORKSPACE,
            MockConfig::DEFAULT_API_KEY_ID,
            ApiKeySecret::new("bench-secret-value"),
        )
        .build()
        .expect("config");
        let manager = Arc::new(TokenManager::new(config).expect("runtime"));
        let crowd = |manager: &Arc<TokenManager>| {
            let mut callers = tokio::task::JoinSet::new();
            for _ in 0..10_000 {
                let manager = Arc::clone(manager);
                callers.spawn(async move { manager.token().await.is_ok() });
            }
            callers
        };
        let cold = crowd(&manager).join_all().await;
        assert!(cold.iter().all(|ok| *ok));
        let cold_requests = server.token_requests() + server.refresh_requests();

        let start = Instant::now();
        while manager.try_token().is_some() && start.elapsed() < Duration::from_secs(3) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let at_expiry = crowd(&manager).join_all().await;
        assert!(at_expiry.iter().all(|ok| *ok));
        let expiry_requests = server.token_requests() + server.refresh_requests() - cold_requests;
        (cold_requests, expiry_requests)
    })
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");

    let (cold, at_expiry) = requests_per_refresh(&runtime);
    println!(
        "server requests per token with 10,000 concurrent callers: cold start {cold}, at expiry {at_expiry}"
    );
    assert_eq!((cold, at_expiry), (1, 1));

    let config = Config::builder(
        "https://revault.invalid/v1/rest",
        "bench-workspace",
        "bench-key-id",
        ApiKeySecret::new("bench-key-secret-0123456789"),
    )
    .build()
    .expect("config");
    let server = ScriptedServer::for_config(&config).with_lifetimes(3600.0, 7200.0);
    let transport = ScriptedTransport::new(server, SystemTime::now);
    let manager = {
        let _entered = runtime.enter();
        TokenManager::with_transport(config.clone(), transport).expect("runtime")
    };
    let token: Arc<AccessToken> = runtime.block_on(manager.token_owned()).expect("a token");
    // The blocking manager has no driver thread: its `token()` reads the
    // monotonic clock to know whether a refresh is due and the last suspend
    // check still holds (no wall-clock read).
    let blocking = {
        let server = ScriptedServer::for_config(&config).with_lifetimes(3600.0, 7200.0);
        let transport = ScriptedTransport::new(server, SystemTime::now);
        revault_auth::ureq::TokenManager::with_transport(config.clone(), transport)
            .expect("manager")
    };
    blocking.token().expect("a token");
    let mutex = Mutex::new(Some(Arc::clone(&token)));
    let rwlock = RwLock::new(Some(Arc::clone(&token)));

    let try_token = || manager.try_token().map_or(0, |t| t.generation().get());
    let ureq_token = || blocking.token().map_or(0, |t| t.generation().get());
    // What a worker does with its own `TokenReader`, kept in a thread-local.
    let reader = || {
        thread_local!(static READER: RefCell<Option<TokenReader>> = const { RefCell::new(None) });
        READER.with(|slot| {
            let mut slot = slot.borrow_mut();
            let reader = slot.get_or_insert_with(|| manager.reader());
            reader.try_token().map_or(0, |t| t.generation().get())
        })
    };
    let mutex_read = || {
        let cached = mutex.lock().unwrap_or_else(PoisonError::into_inner).clone();
        cached.map_or(0, |t| t.generation().get())
    };
    let rwlock_read = || {
        let cached = rwlock
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        cached.map_or(0, |t| t.generation().get())
    };
    // The floor: one relaxed load of a shared atomic, to tell what two
    // threads cost on this machine (hyperthreads, harness) from what a read
    // path adds.
    let floor = AtomicU64::new(1);
    let floor_read = || floor.load(Ordering::Relaxed);
    let readers: [(&str, Read<'_>); 6] = [
        ("atomic_load_floor", &floor_read),
        ("try_token", &try_token),
        ("ureq_token", &ureq_token),
        ("reader", &reader),
        ("mutex_arc", &mutex_read),
        ("rwlock_arc", &rwlock_read),
    ];

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    one_thread(&mut criterion, &readers);
    two_threads(&mut criterion, &readers);
    criterion.final_summary();
    drop(manager);
}
