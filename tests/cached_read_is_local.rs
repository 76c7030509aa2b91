//! The cached `token()` read, as issue 13 asks of it: once a thread has read
//! the current token, further reads on that thread allocate nothing and do
//! not touch the token's shared reference count (the count a cross-thread
//! handle such as `Arc` would write on every clone and drop), on every
//! manager; and a new token replaces the old one on the next read.

// A counting global allocator needs `unsafe impl GlobalAlloc`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::time::SystemTime;

use revault_auth::core::testing::{ScriptedServer, ScriptedTransport};
use revault_auth::{AccessToken, ApiKeySecret, Config};

/// Counts allocations made by the current thread.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a thread-local `Cell` with no destructor, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

const READS: usize = 10_000;

fn config() -> Config {
    Config::builder(
        "https://revault.invalid/v1/rest",
        "workspace",
        "key-id",
        ApiKeySecret::new("key-secret"),
    )
    .build()
    .expect("config")
}

fn transport(config: &Config) -> ScriptedTransport {
    let server = ScriptedServer::for_config(config).with_lifetimes(3600.0, 7200.0);
    ScriptedTransport::new(server, SystemTime::now)
}

/// Runs `reads` (which calls its argument while holding each token it
/// read) once to warm up, then again: the second run must allocate nothing
/// and never take a count on `held`'s shared counter, not even while it
/// holds a token.
fn assert_reads_are_local(what: &str, held: &Arc<AccessToken>, reads: impl Fn(&dyn Fn())) {
    reads(&|| {});
    let count = Arc::strong_count(held);
    let allocations_before = allocations();
    reads(&|| {
        assert_eq!(
            Arc::strong_count(held),
            count,
            "{what}: a read took a shared count"
        );
    });
    assert_eq!(
        allocations() - allocations_before,
        0,
        "{what}: reads allocated"
    );
}

#[test]
fn tokio_token_reads_allocate_nothing_and_write_no_shared_count() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = config();
    let manager = {
        let _entered = runtime.enter();
        revault_auth::tokio::TokenManager::with_transport(config.clone(), transport(&config))
            .expect("manager")
    };
    let first = runtime.block_on(manager.token_owned()).expect("a token");
    assert_reads_are_local("tokio token()", &first, |holding| {
        runtime.block_on(async {
            for _ in 0..READS {
                let token = manager.token().await.expect("a token");
                assert_eq!(token.generation(), first.generation());
                holding();
            }
        });
    });

    // A new token is served on the next read, and its reads are local too.
    assert!(manager.invalidate(&first));
    let second = runtime
        .block_on(manager.token_owned())
        .expect("a new token");
    assert_ne!(second.generation(), first.generation());
    assert_reads_are_local("tokio try_token() after a new token", &second, |holding| {
        for _ in 0..READS {
            let token = manager.try_token().expect("a token");
            assert_eq!(token.generation(), second.generation());
            holding();
        }
    });
}

#[test]
fn ureq_token_reads_allocate_nothing_and_write_no_shared_count() {
    let config = config();
    let manager =
        revault_auth::ureq::TokenManager::with_transport(config.clone(), transport(&config))
            .expect("manager");
    let first = manager.token_owned().expect("a token");
    assert_reads_are_local("ureq token()", &first, |holding| {
        for _ in 0..READS {
            let token = manager.token().expect("a token");
            assert_eq!(token.generation(), first.generation());
            holding();
        }
    });
}

#[test]
fn async_std_token_reads_allocate_nothing_and_write_no_shared_count() {
    let config = config();
    let manager =
        revault_auth::async_std::TokenManager::with_transport(config.clone(), transport(&config))
            .expect("manager");
    let first = smol::block_on(manager.token_owned()).expect("a token");
    assert_reads_are_local("async-std token()", &first, |holding| {
        smol::block_on(async {
            for _ in 0..READS {
                let token = manager.token().await.expect("a token");
                assert_eq!(token.generation(), first.generation());
                holding();
            }
        });
    });
}
