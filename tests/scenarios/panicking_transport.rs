//! A transport that panics, when called or (async) when its send is
//! polled, costs one failed request each, at once (not at the request
//! deadline), and the manager goes on: the next attempt reaches the
//! emulator, the caller gets a token, and a refresh works after it.

use std::time::{Duration, Instant};

use crate::kit::{config, server};
use crate::manager::{Manager, Options, Via};

async fn a_panicking_transport_costs_a_failed_request_and_the_manager_goes_on<M: Manager>() {
    let server = server(Duration::from_secs(300), Duration::from_secs(1800));
    let manager = M::build(config(&server), Options::via(Via::Panicky));

    let asked = Instant::now();
    let token = manager.token().await.expect("a token after the panics");
    // The request timeout is 2 s: two failures each waited it out would
    // take longer.
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(token.generation().get(), 1);
    assert_eq!(
        server.token_requests(),
        1,
        "the panicked sends never reached it"
    );

    manager.force_refresh();
    let next = manager.token().await.expect("the manager is alive");
    assert_eq!(next.generation().get(), 2);
    assert_eq!(server.refresh_requests(), 1);
    manager.shutdown().await;
}

every_manager!(a_panicking_transport_costs_a_failed_request_and_the_manager_goes_on);
