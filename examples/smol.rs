//! Keep a token with the async-std adapter, here under smol.
//!
//! `cargo run --example smol` runs against an emulator on a background
//! thread; set the `REVAULT_*` variables to use a real revault-api instead.

use std::time::Duration;

use revault_auth::async_std::TokenManager;
use revault_auth::{ApiKeySecret, Config, Event};
use revault_auth_mock::{MockConfig, MockServer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _emulator = None;
    let config = match Config::from_env_with(|name| std::env::var(name).ok()) {
        Ok(builder) => builder.build()?,
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
            config
        }
    };
    smol::block_on(async {
        let tokens = TokenManager::new(config)?;
        let mut events = tokens.subscribe();
        let first = tokens.token_owned().await?;
        println!("token generation {}", first.generation().get());
        // Wait for the background refresh (2 s tokens refresh after ~1.6 s).
        while let Ok(event) = events.recv().await {
            println!("event: {event:?}");
            if matches!(event, Event::Refreshed { .. }) {
                break;
            }
        }
        let second = tokens.token_owned().await?;
        println!("token generation {}", second.generation().get());
        tokens.shutdown().await;
        Ok(())
    })
}
