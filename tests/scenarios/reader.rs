//! A per-thread `TokenReader` sees exactly what `try_token` sees: nothing
//! before the first demand, the token once it arrives, nothing once it is
//! withdrawn, the next one after that, and nothing after shutdown.

use std::time::Duration;

use crate::kit::{config, server};
use crate::manager::Reads;

async fn reader_follows_arrivals_and_withdrawals<M: Reads>() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120));
    let manager = M::new(config(&server));
    let mut reader = manager.reader();
    assert!(
        reader.try_token().is_none(),
        "nothing before the first demand"
    );

    let first = manager.token().await.expect("token");
    let seen = reader.try_token().map(|token| token.generation());
    assert_eq!(seen, Some(first.generation()));

    assert!(manager.invalidate(&first));
    assert!(
        reader.try_token().is_none(),
        "a withdrawn token is not served"
    );

    let second = manager.token().await.expect("new token");
    assert_ne!(second.generation(), first.generation());
    let seen = reader.try_token().map(|token| token.generation());
    assert_eq!(seen, Some(second.generation()));
    manager.shutdown().await;
    assert!(reader.try_token().is_none(), "nothing after shutdown");
}

every_reader!(reader_follows_arrivals_and_withdrawals);
