//! 64 tasks asking at once, at cold start and again after the token has
//! expired while its refresh was slow, cause exactly one request each time.
//! The cold start also runs under smol.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_async_std::TokenManager;
use revault_auth_mock::{Fault, MockServer, Target};

const TASKS: usize = 64;

async fn stampede(manager: &Arc<TokenManager>, spawn: fn(Arc<TokenManager>) -> Caller) -> Vec<u64> {
    let callers: Vec<_> = (0..TASKS).map(|_| spawn(Arc::clone(manager))).collect();
    let mut generations = Vec::new();
    for caller in callers {
        generations.push(caller.await);
    }
    generations
}

type Caller = std::pin::Pin<Box<dyn std::future::Future<Output = u64> + Send>>;

async fn generation(manager: Arc<TokenManager>) -> u64 {
    manager
        .token_owned()
        .await
        .expect("a token")
        .generation()
        .get()
}

fn on_async_std(manager: Arc<TokenManager>) -> Caller {
    Box::pin(async_std::task::spawn(generation(manager)))
}

fn on_smol(manager: Arc<TokenManager>) -> Caller {
    Box::pin(smol::spawn(generation(manager)))
}

async fn cold_start(spawn: fn(Arc<TokenManager>) -> Caller) -> (MockServer, Arc<TokenManager>) {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(1), Duration::from_secs(60)))
            .expect("emulator");
    let manager =
        Arc::new(TokenManager::new(config_for(&server).build().expect("config")).expect("manager"));
    server.push_fault(Target::Token, Fault::delay(Duration::from_millis(200)));
    assert_eq!(stampede(&manager, spawn).await, vec![1; TASKS]);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);
    (server, manager)
}

#[test]
fn sixty_four_tasks_cause_one_request_at_cold_start_and_at_expiry() {
    async_std::task::block_on(async {
        let (server, manager) = cold_start(on_async_std).await;
        let first = manager.token_owned().await.expect("cached");
        // The background refresh is answered long after the token expired.
        server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(500)));
        let expired = first.usable_until() + Duration::from_millis(20);
        async_std::task::sleep(expired.saturating_duration_since(Instant::now())).await;
        assert!(manager.try_token().is_none(), "expired");
        assert_eq!(stampede(&manager, on_async_std).await, vec![2; TASKS]);
        assert_eq!(server.refresh_requests(), 1);
        assert_eq!(server.token_requests(), 1);
    });
}

#[test]
fn sixty_four_tasks_cause_one_request_under_smol() {
    smol::block_on(async {
        cold_start(on_smol).await;
    });
}
