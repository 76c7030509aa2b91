//! `force_refresh` replaces the served token: the emulator sees one more
//! request and the next token is a new generation it accepts.

use std::time::Duration;

use crate::kit::{accepted, auth_requests, config, server};
use crate::manager::Manager;

async fn force_refresh_gets_a_new_token<M: Manager>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let manager = M::new(config(&server));
    let first = manager.token().await.expect("token");
    manager.force_refresh();
    let second = manager.token().await.expect("token");
    assert_ne!(first.generation(), second.generation());
    assert_eq!(auth_requests(&server), 2);
    assert!(accepted(&server, &second));
    manager.shutdown().await;
}

every_manager!(force_refresh_gets_a_new_token);
