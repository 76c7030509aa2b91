//! The trait serves a blocking driver (threads) and an async one (through
//! `spawn_blocking`, holding the guard across `.await`) alike, as
//! `Arc<dyn TokenStore>`: under the update lock, exactly one of several
//! racers "refreshes"; the others find its session and use it.

mod common;
#[path = "support/racers.rs"]
mod racers;

use std::sync::Arc;

use common::{key, tokens};
use revault_auth_store::{FileStore, TokenStore};

#[test]
fn blocking_threads_renew_once_between_them() {
    let (_dir, path) = common::scratch();
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(&path));
    racers::threads_renew_once(|| Arc::clone(&store), &key(), &tokens("zz-renewed"));
}

#[test]
fn async_tasks_renew_once_between_them_through_spawn_blocking() {
    let (_dir, path) = common::scratch();
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(&path));
    racers::async_tasks_renew_once(|| Arc::clone(&store), &key(), &tokens("zz-async"));
}
