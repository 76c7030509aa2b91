//! One file shared by managers of two servers: each gets its own session,
//! and a token obtained from one server is never sent to the other.

use std::time::Duration;

use crate::kit::{accepted, auth_requests, config, file_store, server};
use crate::manager::{Manager, Options};

async fn store_one_session_per_account<M: Manager>() {
    let one = server(Duration::from_secs(60), Duration::from_secs(600));
    let two = server(Duration::from_secs(60), Duration::from_secs(600));
    let (_dir, path) = file_store();
    let first = M::build(config(&one), Options::store(&path));
    let from_one = first.token().await.expect("token");
    let second = M::build(config(&two), Options::store(&path));
    let from_two = second.token().await.expect("token");

    assert_ne!(
        from_one.secret().expose_secret(),
        from_two.secret().expose_secret()
    );
    assert_eq!(auth_requests(&one), 1);
    assert_eq!(
        auth_requests(&two),
        1,
        "its own session, from its own server"
    );
    assert!(accepted(&two, &from_two));
    first.shutdown().await;
    second.shutdown().await;
}

every_manager!(store_one_session_per_account);
