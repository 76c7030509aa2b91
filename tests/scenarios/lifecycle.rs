//! A manager's life ends for every handle: `shutdown` through an `Arc` or
//! any clone makes every handle answer `Closed`, ends the event stream, and
//! nothing more is sent (no refresh, though the token reached its refresh
//! point); dropping the last handle ends the event stream too.

use std::sync::Arc;
use std::time::Duration;

use revault_auth::{Event, TokenError};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use crate::kit::{auth_requests, config, server, sleep, within};
use crate::manager::Manager;

/// Whether the event stream ends within a few seconds.
async fn ends(mut events: Receiver<Event>) -> bool {
    let closed = async {
        loop {
            match events.recv().await {
                Err(RecvError::Closed) => return,
                Ok(_) | Err(RecvError::Lagged(_)) => {}
            }
        }
    };
    within(Duration::from_secs(5), closed).await.is_some()
}

async fn shutdown_through_an_arc_stops_every_handle<M: Manager>() {
    let server = server(Duration::from_secs(2), Duration::from_secs(60));
    let manager = Arc::new(M::new(config(&server)));
    let clone = (*manager).clone();
    clone.token().await.expect("token");
    let events = clone.subscribe();

    manager.shutdown().await;
    assert!(matches!(clone.token().await, Err(TokenError::Closed)));
    assert!(manager.try_token().is_none());
    assert!(ends(events).await, "the event stream ended");
    sleep(Duration::from_secs(2)).await;
    assert!(matches!(manager.token().await, Err(TokenError::Closed)));
    assert_eq!(auth_requests(&server), 1, "nothing sent after shutdown");
}

async fn dropping_the_last_handle_ends_the_event_stream<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let manager = M::new(config(&server));
    manager.token().await.expect("token");
    let events = manager.subscribe();
    drop(manager);
    assert!(ends(events).await, "the event stream ended");
}

every_manager!(
    shutdown_through_an_arc_stops_every_handle,
    dropping_the_last_handle_ends_the_event_stream,
);
