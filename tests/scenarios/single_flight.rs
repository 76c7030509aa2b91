//! A crowd of callers asking at once, at a cold start and again once the
//! token has expired while its refresh was slow, causes exactly one request
//! each time.

use std::sync::Arc;
use std::time::Duration;

use revault_auth_mock::{Fault, Target};
use tokio::sync::Barrier;

use crate::kit::{config, eventually, server, sleep_until};
use crate::manager::Manager;

/// The generation each of `M::CROWD` callers, released together, got.
async fn stampede<M: Manager>(manager: &M) -> Vec<u64> {
    let barrier = Arc::new(Barrier::new(M::CROWD));
    let callers: Vec<_> = (0..M::CROWD)
        .map(|_| {
            let (manager, barrier) = (manager.clone(), Arc::clone(&barrier));
            M::spawn(async move {
                barrier.wait().await;
                manager.token().await.expect("a token").generation().get()
            })
        })
        .collect();
    let mut generations = Vec::with_capacity(M::CROWD);
    for caller in callers {
        generations.push(caller.await);
    }
    generations
}

async fn a_crowd_at_cold_start_causes_one_request<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    server.push_fault(Target::Token, Fault::delay(Duration::from_millis(200)));
    let manager = M::new(config(&server));
    assert_eq!(stampede(&manager).await, vec![1; M::CROWD]);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 0);
    manager.shutdown().await;
}

async fn a_crowd_at_expiry_causes_one_request<M: Manager>() {
    let server = server(Duration::from_secs(2), Duration::from_secs(60));
    let manager = M::new(config(&server));
    let first = manager.token().await.expect("first token");
    // A refresh sent at the refresh point is answered after the floor.
    server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(1000)));
    sleep_until(first.usable_until()).await;
    assert!(
        eventually(|| manager.try_token().is_none()).await,
        "expired"
    );
    assert_eq!(server.refresh_requests(), usize::from(M::DRIVES_ITSELF));

    assert_eq!(stampede(&manager).await, vec![2; M::CROWD]);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.refresh_requests(), 1);
    manager.shutdown().await;
}

every_manager!(
    a_crowd_at_cold_start_causes_one_request,
    a_crowd_at_expiry_causes_one_request,
);
