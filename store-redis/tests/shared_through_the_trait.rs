//! The protocol of `revault_auth_store` on Redis, as a fleet runs it:
//! racers that each have their own store (their own connections, as
//! separate processes would) renew once between them, whether they are
//! threads or async tasks going through `spawn_blocking`.

mod common;
#[path = "../../store/tests/support/racers.rs"]
mod racers;

use std::sync::Arc;

use common::{key, server_or_skip, tokens};
use revault_auth_store_redis::TokenStore;

#[test]
fn blocking_threads_renew_once_between_them() {
    let server = server_or_skip!();
    let racer_store = || -> Arc<dyn TokenStore> { Arc::new(server.store()) };
    racers::threads_renew_once(racer_store, &key(), &tokens("zz-renewed"));
}

#[test]
fn async_tasks_renew_once_between_them_through_spawn_blocking() {
    let server = server_or_skip!();
    let racer_store = || -> Arc<dyn TokenStore> { Arc::new(server.store()) };
    racers::async_tasks_renew_once(racer_store, &key(), &tokens("zz-async"));
}
