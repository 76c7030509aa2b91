//! Readers serve their thread's copy while the published token is
//! unchanged. This checks, from the readers' side, that a withdrawn token is
//! never served again once `withdraw` returned, on the thread that had a
//! copy of it and on threads reading concurrently; that every new token
//! reaches every reader; that each thread serves a header value of its own;
//! and that a token's memory is released once no thread or handle holds it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Weak};
use std::time::{Duration, Instant};

use revault_auth_core::testing::Harness;
use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_shared::{Publication, WallClock};

fn harness() -> Harness {
    let config = Config::builder(
        "https://revault.invalid/v1/rest",
        "workspace",
        "key-id",
        ApiKeySecret::new("key-secret"),
    )
    .build()
    .expect("config");
    Harness::new(config, Instant::now())
}

/// Gets the harness a token (a new one after a rejection) and publishes it.
fn publish_next(harness: &mut Harness, publication: &Publication) -> u64 {
    assert!(
        harness.run_until(Duration::from_secs(60), |h| h.token().is_some()),
        "the core got no token"
    );
    let now = harness.now();
    publication.settle(&mut harness.core, now);
    harness.token().expect("a token").generation().get()
}

#[test]
fn a_withdrawn_token_is_not_served_from_the_copy_that_held_it() {
    let mut harness = harness();
    harness.start();
    let publication = Publication::new(harness.core.config().token_uri(), WallClock::default());
    let first = publish_next(&mut harness, &publication);
    // Twice, so that the second read is served from this thread's copy.
    for _ in 0..2 {
        let token = publication.try_token().expect("published");
        assert_eq!(token.generation().get(), first);
    }
    let held = publication.try_token().expect("published");
    assert!(publication.withdraw(held.generation()));
    assert!(publication.try_token().is_none(), "served after withdrawal");
    // The handle taken before stays readable memory.
    assert_eq!(held.generation().get(), first);

    assert!(harness.reject_current_token());
    let second = publish_next(&mut harness, &publication);
    assert!(second > first);
    assert_eq!(
        publication
            .try_token()
            .expect("published")
            .generation()
            .get(),
        second
    );
}

#[test]
fn concurrent_readers_never_see_a_token_after_its_withdrawal() {
    const READERS: usize = 2;
    const ROUNDS: u64 = 300;
    let mut harness = harness();
    harness.start();
    let publication = Arc::new(Publication::new(
        harness.core.config().token_uri(),
        WallClock::default(),
    ));
    // Generations at or below this were withdrawn before a reader looks.
    let withdrawn = Arc::new(AtomicU64::new(0));
    let newest = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(READERS + 1));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (publication, withdrawn, newest, done, start) = (
                Arc::clone(&publication),
                Arc::clone(&withdrawn),
                Arc::clone(&newest),
                Arc::clone(&done),
                Arc::clone(&start),
            );
            std::thread::spawn(move || {
                start.wait();
                let mut violations = Vec::new();
                let mut newest_seen = 0;
                while !done.load(Ordering::Acquire) {
                    let floor = withdrawn.load(Ordering::Acquire);
                    if let Some(token) = publication.try_token() {
                        let generation = token.generation().get();
                        if generation <= floor {
                            violations.push((generation, floor));
                        }
                        newest_seen = newest_seen.max(generation);
                    }
                }
                // After the last publication, one more read sees it.
                let last = publication.try_token().map(|t| t.generation().get());
                (
                    violations,
                    newest_seen,
                    last,
                    newest.load(Ordering::Acquire),
                )
            })
        })
        .collect();
    start.wait();
    for _ in 0..ROUNDS {
        let generation = publish_next(&mut harness, &publication);
        newest.store(generation, Ordering::Release);
        std::thread::yield_now();
        let token = publication.try_token().expect("just published");
        publication.withdraw(token.generation());
        withdrawn.store(generation, Ordering::Release);
        assert!(harness.reject_current_token());
    }
    let last = publish_next(&mut harness, &publication);
    newest.store(last, Ordering::Release);
    done.store(true, Ordering::Release);
    for reader in readers {
        let (violations, newest_seen, final_read, newest) = reader.join().expect("reader");
        assert!(
            violations.is_empty(),
            "withdrawn tokens served: {violations:?}"
        );
        assert!(newest_seen > 0, "a reader never saw a token");
        assert_eq!(final_read, Some(newest), "a reader missed the last token");
    }
}

#[test]
fn a_token_ref_debugs_as_its_token_without_the_secret() {
    let mut harness = harness();
    harness.start();
    let publication = Publication::new(harness.core.config().token_uri(), WallClock::default());
    let generation = publish_next(&mut harness, &publication);
    let token = publication.try_token().expect("published");
    let shown = format!("{token:?}");
    assert!(shown.starts_with("TokenRef(AccessToken {"), "{shown}");
    assert!(
        shown.contains(&format!("generation: TokenGeneration({generation})")),
        "{shown}"
    );
    let secret = token.secret().expose_secret();
    assert!(!shown.contains(secret), "the token's secret in {shown}");
}

#[test]
fn each_thread_serves_a_header_value_of_its_own() {
    let mut harness = harness();
    harness.start();
    let publication = Publication::new(harness.core.config().token_uri(), WallClock::default());
    publish_next(&mut harness, &publication);
    let here = publication.try_token().expect("published");
    let published = here.clone().into_owned();
    let there = std::thread::scope(|scope| {
        scope
            .spawn(|| publication.try_token().expect("published"))
            .join()
            .expect("reader")
    });
    let bytes = |header: &http::HeaderValue| header.as_bytes().as_ptr();
    for token in [&here, &there] {
        assert_eq!(token.header_value(), published.header_value());
        assert!(token.header_value().is_sensitive());
        assert_ne!(
            bytes(token.header_value()),
            bytes(published.header_value()),
            "the published header value was handed out"
        );
    }
    assert_ne!(
        bytes(here.header_value()),
        bytes(there.header_value()),
        "two threads share one header value"
    );
    // Again on this thread: the same copy, not a new one.
    let again = publication.try_token().expect("published");
    assert_eq!(bytes(again.header_value()), bytes(here.header_value()));
}

/// Tokens read on several threads, handles sent to and dropped on other
/// threads, while tokens are replaced: once every thread has read again or
/// ended and every handle is dropped, no token is left in memory.
#[test]
fn every_token_is_released_once_no_thread_or_handle_holds_it() {
    const ROUNDS: usize = 20;
    let mut harness = harness();
    harness.start();
    let publication = Arc::new(Publication::new(
        harness.core.config().token_uri(),
        WallClock::default(),
    ));
    let mut released: Vec<Weak<revault_auth_core::AccessToken>> = Vec::new();
    let (sender, receiver) = std::sync::mpsc::channel::<revault_auth_shared::TokenRef>();
    let keeper = std::thread::spawn(move || {
        // Keeps every other handle until the end, drops the rest at once.
        receiver.iter().step_by(2).collect::<Vec<_>>()
    });
    for _ in 0..ROUNDS {
        publish_next(&mut harness, &publication);
        let token = publication.try_token().expect("published");
        released.push(Arc::downgrade(&token.clone().into_owned()));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (sender, publication) = (sender.clone(), Arc::clone(&publication));
                std::thread::spawn(move || {
                    let read = publication.try_token().expect("published");
                    sender.send(read.clone()).expect("keeper");
                    sender.send(read).expect("keeper");
                })
            })
            .collect();
        // Joined one by one: a join returns once the thread's copies are
        // dropped with its thread-locals.
        for reader in readers {
            reader.join().expect("reader");
        }
        sender.send(token.clone()).expect("keeper");
        assert!(publication.withdraw(token.generation()));
        assert!(harness.reject_current_token());
    }
    drop(sender);
    let kept = keeper.join().expect("keeper");
    assert!(!kept.is_empty());
    // This thread reads again: its copy of the last token goes.
    assert!(publication.try_token().is_none());
    drop(kept);
    for (round, token) in released.iter().enumerate() {
        assert!(
            token.upgrade().is_none(),
            "the token of round {round} leaked"
        );
    }
}
