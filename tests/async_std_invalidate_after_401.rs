//! revault-api answers 401 to a revoked token: sixteen reports withdraw it
//! once, and sixteen waiting tasks then cause one refresh.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{config_for, mock_config};
use revault_auth_async_std::TokenManager;
use revault_auth_core::AccessToken;
use revault_auth_mock::MockServer;

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
    async_std::task::block_on(async {
        let server = MockServer::start_background(mock_config(
            Duration::from_secs(300),
            Duration::from_secs(1800),
        ))
        .expect("emulator");
        let manager = Arc::new(
            TokenManager::new(config_for(&server).build().expect("config")).expect("manager"),
        );
        let old = manager.token_owned().await.expect("first");
        assert_eq!(call(&server, &old), 200);
        server.revoke_access_token(old.secret().expose_secret());
        assert_eq!(call(&server, &old), 401);

        let reports: Vec<_> = (0..16)
            .map(|_| {
                let (manager, old) = (Arc::clone(&manager), Arc::clone(&old));
                std::thread::spawn(move || manager.invalidate(&old))
            })
            .collect();
        let withdrawn = reports
            .into_iter()
            .map(|report| report.join().expect("report"))
            .filter(|withdrew| *withdrew)
            .count();
        assert_eq!(withdrawn, 1, "one report withdraws the token");
        // Withdrawn at once: whatever is served now is the next token.
        let served = manager.try_token().map(|token| token.generation());
        assert_ne!(served, Some(old.generation()), "withdrawn at once");

        let callers: Vec<_> = (0..16)
            .map(|_| {
                let manager = Arc::clone(&manager);
                async_std::task::spawn(async move {
                    manager.token_owned().await.expect("new").generation().get()
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await, 2);
        }
        assert_eq!(server.refresh_requests(), 1);
        assert_eq!(server.token_requests(), 1);

        let new = manager.token_owned().await.expect("new");
        assert_eq!(call(&server, &new), 200);
        assert!(!manager.invalidate(&old), "a late report changes nothing");
        async_std::task::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            manager.try_token().expect("same").generation(),
            new.generation()
        );
        assert_eq!(server.refresh_requests(), 1);
    });
}
