//! revault-api answers 401 to a revoked token: fifty concurrent reports
//! withdraw it once and at once, the waiting callers then cause one
//! refresh, and a late report changes nothing.

use std::sync::Arc;
use std::time::Duration;

use revault_auth::AccessToken;
use revault_auth_mock::MockServer;

use crate::kit::{config, server, sleep};
use crate::manager::Manager;

/// The status revault-api answers to a call made with `token`.
fn call(server: &MockServer, token: &AccessToken) -> u16 {
    ureq::get(server.url("/vaults"))
        .header("authorization", token.header_value().clone())
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("protected call")
        .status()
        .as_u16()
}

async fn many_reports_of_one_401_cause_one_refresh<M: Manager>() {
    let server = server(Duration::from_secs(300), Duration::from_secs(1800));
    let manager = M::new(config(&server));
    let old = manager.token().await.expect("first");
    assert_eq!(call(&server, &old), 200);
    server.revoke_access_token(old.secret().expose_secret());
    assert_eq!(call(&server, &old), 401);

    let withdrawn = std::thread::scope(|scope| {
        let reports: Vec<_> = (0..50)
            .map(|_| scope.spawn(|| manager.invalidate(&old)))
            .collect();
        reports
            .into_iter()
            .map(|report| report.join().expect("report"))
            .filter(|withdrew| *withdrew)
            .count()
    });
    assert_eq!(withdrawn, 1, "one report withdraws the token");
    let served = manager.try_token().map(|token| token.generation());
    assert_ne!(served, Some(old.generation()), "withdrawn at once");

    let callers: Vec<_> = (0..16)
        .map(|_| {
            let manager = manager.clone();
            M::spawn(async move { manager.token().await.expect("new").generation().get() })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await, 2);
    }
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 1);

    let new: Arc<AccessToken> = manager.token().await.expect("new");
    assert_eq!(call(&server, &new), 200);
    assert!(!manager.invalidate(&old), "a late report changes nothing");
    sleep(Duration::from_millis(200)).await;
    let served = manager.token().await.expect("same");
    assert_eq!(served.generation(), new.generation());
    assert_eq!(server.refresh_requests(), 1, "one refresh for every report");
    manager.shutdown().await;
}

every_manager!(many_reports_of_one_401_cause_one_refresh);
