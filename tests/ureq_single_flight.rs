//! 64 threads asking at once, at cold start and again after the token has
//! expired, cause exactly one request each time.

mod common;

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_mock::{Fault, MockServer, Target};
use revault_auth_ureq::BlockingTokenManager;

const THREADS: usize = 64;

fn stampede(manager: &BlockingTokenManager) -> Vec<u64> {
    let barrier = Barrier::new(THREADS);
    thread::scope(|scope| {
        let callers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    manager.token().expect("a token").generation().get()
                })
            })
            .collect();
        callers
            .into_iter()
            .map(|caller| caller.join().expect("caller"))
            .collect()
    })
}

#[test]
fn sixty_four_threads_cause_one_request_at_cold_start_and_at_expiry() {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(1), Duration::from_secs(60)))
            .expect("emulator");
    let manager =
        BlockingTokenManager::new(config_for(&server).build().expect("config")).expect("manager");

    server.push_fault(Target::Token, Fault::delay(Duration::from_millis(200)));
    assert_eq!(stampede(&manager), vec![1; THREADS]);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);

    let first = manager.token().expect("cached").into_owned();
    thread::sleep(
        first
            .usable_until()
            .saturating_duration_since(Instant::now()),
    );
    assert!(manager.try_token().is_none(), "expired");
    server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(200)));
    assert_eq!(stampede(&manager), vec![2; THREADS]);
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 1);
}
