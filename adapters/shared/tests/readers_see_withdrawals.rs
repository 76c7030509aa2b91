//! Readers serve from their thread's shelf while the published token is
//! unchanged. This checks, from the readers' side, that a withdrawn token is
//! never served again once `withdraw` returned, on the thread that had it
//! shelved and on threads reading concurrently, and that every new token
//! reaches every reader.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
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
fn a_withdrawn_token_is_not_served_from_the_shelf_that_held_it() {
    let mut harness = harness();
    harness.start();
    let publication = Publication::new(harness.core.config().token_uri(), WallClock::default());
    let first = publish_next(&mut harness, &publication);
    // Twice, so that the second read is served from this thread's shelf.
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
    const ROUNDS: u64 = if cfg!(miri) { 10 } else { 300 };
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
