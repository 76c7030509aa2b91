//! Keep a token with the blocking ureq adapter, from several threads.
//!
//! `cargo run --example blocking` runs against an emulator on a background
//! thread; set the `REVAULT_*` variables to use a real revault-api instead.

use std::sync::Arc;
use std::time::Duration;

use revault_auth::ureq::BlockingTokenManager;
use revault_auth::{ApiKeySecret, Config};
use revault_auth_mock::{MockConfig, MockServer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _emulator = None;
    let tokens = match BlockingTokenManager::from_env() {
        Ok(tokens) => tokens,
        Err(_) => {
            let emulator = MockServer::start_background(
                MockConfig::default().with_ttls(Duration::from_secs(2), Duration::from_secs(60)),
            )?;
            let config = Config::builder(
                emulator.base_url(),
                MockConfig::DEFAULT_WORKSPACE,
                MockConfig::DEFAULT_API_KEY_ID,
                ApiKeySecret::new(MockConfig::DEFAULT_API_KEY_SECRET),
            )
            .build()?;
            _emulator = Some(emulator);
            BlockingTokenManager::new(config)?
        }
    };
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
