//! Keep a token with the async-std adapter, here under smol.
//!
//! `cargo run --example smol` runs against an emulator on a background
//! thread when no `REVAULT_*` variable is set; set them to use a real
//! revault-api (a broken setting is reported, not replaced).

use revault_auth::Event;
use revault_auth::async_std::TokenManager;

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = common::api()?;
    let config = api.config.clone();
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
