//! Keep a token with the blocking ureq adapter, from several threads.
//!
//! `cargo run --example blocking` runs against an emulator on a background
//! thread when no `REVAULT_*` variable is set; set them to use a real
//! revault-api (a broken setting is reported, not replaced).

use std::sync::Arc;
use std::time::Duration;

use revault_auth::ureq::BlockingTokenManager;

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = common::api()?;
    let tokens = BlockingTokenManager::new(api.config.clone())?;
    let tokens = Arc::new(tokens);
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let tokens = Arc::clone(&tokens);
            std::thread::spawn(move || -> Result<(), revault_auth::core::TokenError> {
                for _ in 0..3 {
                    let token = tokens.token()?;
                    println!(
                        "worker {worker}: token generation {}",
                        token.generation().get()
                    );
                    drop(token);
                    std::thread::sleep(Duration::from_millis(900));
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| "a worker panicked")??;
    }
    Ok(())
}
