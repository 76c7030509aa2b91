//! revault-api answers 401 to a revoked token: sixteen threads report it,
//! one report withdraws it, and sixteen callers then cause one refresh.

mod common;

use std::thread;
use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth_core::AccessToken;
use revault_auth_mock::MockServer;
use revault_auth_ureq::BlockingTokenManager;

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

#[test]
fn many_reports_of_one_401_cause_one_refresh() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(300),
        Duration::from_secs(1800),
    ))
    .expect("emulator");
    let manager =
        BlockingTokenManager::new(config_for(&server).build().expect("config")).expect("manager");
    let old = manager.token().expect("first").into_owned();
    assert_eq!(call(&server, &old), 200);
    server.revoke_access_token(old.secret().expose_secret());
    assert_eq!(call(&server, &old), 401);

    let withdrawn = thread::scope(|scope| {
        let reports: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| manager.invalidate(&old)))
            .collect();
        reports
            .into_iter()
            .map(|report| report.join().expect("report"))
            .filter(|withdrew| *withdrew)
            .count()
    });
    assert_eq!(withdrawn, 1, "one report withdraws the token");
    assert!(manager.try_token().is_none());

    let generations: Vec<u64> = thread::scope(|scope| {
        let callers: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| manager.token().expect("new token").generation().get()))
            .collect();
        callers
            .into_iter()
            .map(|caller| caller.join().expect("caller"))
            .collect()
    });
    assert_eq!(generations, vec![2; 16]);
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 1);

    let new = manager.token().expect("new").into_owned();
    assert_eq!(call(&server, &new), 200);
    assert!(!manager.invalidate(&old), "a late report changes nothing");
    assert_eq!(
        manager.token().expect("same").generation(),
        new.generation()
    );
    assert_eq!(server.refresh_requests(), 1);
}
