//! The cached `token()` read: once a thread has read the current token,
//! further reads on that thread allocate nothing and never touch the
//! published token's shared reference count (the count every thread would
//! write if a read cloned the published `Arc`), on every manager; the
//! header value a read hands out is this thread's own copy, made once, not
//! the published token's (whose clones all write one shared count); and a
//! new token replaces the old one on the next read.

use std::sync::Arc;
use std::time::SystemTime;

use revault_auth::core::testing::{ScriptedServer, ScriptedTransport};
use revault_auth::{AccessToken, ApiKeySecret, Config};

/// Where a header value's bytes are: equal for clones sharing one buffer.
fn bytes_of(header: &http::HeaderValue) -> *const u8 {
    header.as_bytes().as_ptr()
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

/// Runs `reads` (which calls its argument with each token it read, while
/// holding it) once to warm up, then again: the second run must allocate
/// nothing on this thread and never take a count on `held`'s shared
/// counter, not even while it holds a token; every read's header value is
/// one same buffer of this thread, not the published token's.
fn assert_reads_are_local(
    what: &str,
    held: &Arc<AccessToken>,
    reads: impl Fn(&dyn Fn(&revault_auth::tokio::TokenRef)),
) {
    let this_thread = std::cell::Cell::new(None);
    reads(&|token| this_thread.set(Some(bytes_of(token.header_value()))));
    let this_thread = this_thread.get().expect("a read");
    assert_ne!(
        this_thread,
        bytes_of(held.header_value()),
        "{what}: the header value served is the published token's"
    );
    let count = Arc::strong_count(held);
    let allocations = allocation_counter::measure(|| {
        reads(&|token| {
            assert_eq!(
                Arc::strong_count(held),
                count,
                "{what}: a read took a shared count"
            );
            let header = token.header_value().clone();
            assert_eq!(
                bytes_of(&header),
                this_thread,
                "{what}: a read made a new header value"
            );
        });
    });
    assert_eq!(allocations.count_total, 0, "{what}: reads allocated");
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
                holding(&token);
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
            holding(&token);
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
            holding(&token);
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
                holding(&token);
            }
        });
    });
}
