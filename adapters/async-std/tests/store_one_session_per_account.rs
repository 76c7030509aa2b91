//! One file shared by managers of two servers: each gets its own session,
//! and a token obtained from one server is never sent to the other.

mod common;

use std::time::Duration;

use common::{accepted, auth_requests, config, file_store, server};
use revault_auth_async_std::{FileStore, TokenManager, UreqTransport};

#[test]
fn store_one_session_per_account() {
    smol::block_on(async {
        let one = server(Duration::from_secs(60), Duration::from_secs(600));
        let two = server(Duration::from_secs(60), Duration::from_secs(600));
        let (_dir, path) = file_store();
        let build = |server| {
            let transport = UreqTransport::new();
            TokenManager::builder(config(server), transport)
                .with_store(FileStore::new(&path))
                .build()
                .expect("driver")
        };
        let first = build(&one);
        let from_one = first.token_owned().await.expect("token");
        let second = build(&two);
        let from_two = second.token_owned().await.expect("token");

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
    });
}
