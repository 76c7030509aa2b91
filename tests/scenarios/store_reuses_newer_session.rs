//! Two managers sharing a store (two `FileStore`s on one file, as two
//! processes would) start from one saved session with 2 s tokens. Before
//! each refresh a manager takes the store's lock and reloads: the second
//! to get there uses the session the first saved instead of spending the
//! same refresh token. The emulator sees no refresh token spent twice,
//! never two requests at once, and one refresh per cycle between them.

use std::time::{Duration, Instant};

use revault_auth_mock::{Endpoint, Fault, Target};

use crate::kit::{config, file_store, server, sleep};
use crate::manager::{Manager, Options};

async fn store_reuses_newer_session<M: Manager>() {
    let server = server(Duration::from_secs(2), Duration::from_secs(600));
    // Every answer takes 100 ms, so that two requests at once would overlap.
    let latency = Duration::from_millis(100);
    server.set_persistent_fault(Target::Both, Some(Fault::delay(latency)));
    let (_dir, path) = file_store();
    let a = M::build(config(&server), Options::store(&path));
    a.token().await.expect("token");
    let b = M::build(config(&server), Options::store(&path));
    b.token().await.expect("token from the store");
    assert_eq!(server.token_requests(), 1, "b started from a's session");

    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(6) {
        a.token().await.expect("a serves");
        b.token().await.expect("b serves");
        sleep(Duration::from_millis(50)).await;
    }
    a.shutdown().await;
    b.shutdown().await;

    // A refresh still in flight at shutdown gets no answer: not a refusal.
    let refused = server
        .log()
        .iter()
        .filter(|logged| logged.endpoint == Endpoint::Refresh)
        .filter(|logged| logged.status.is_some_and(|status| status != 200))
        .count();
    assert_eq!(refused, 0, "no refresh token spent twice");
    assert_eq!(server.token_requests(), 1);
    for pair in server.log().windows(2) {
        let gap = pair[1].at.saturating_duration_since(pair[0].at);
        assert!(gap >= latency, "two requests in flight at once ({gap:?})");
    }
    // One manager alone refreshes every ~1.5-1.6 s: about 4 in 6 s; two
    // without the store would make about 8 (and spend tokens twice).
    let refreshes = server.refresh_requests();
    assert!((2..=5).contains(&refreshes), "{refreshes} refreshes in 6 s");
}

every_manager!(store_reuses_newer_session);
