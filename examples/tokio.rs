//! Keep a token with the tokio adapter and call a protected resource with it.
//!
//! `cargo run --example tokio` runs against an in-process emulator; set
//! `REVAULT_API_URL`, `REVAULT_WORKSPACE`, `REVAULT_API_KEY_ID` and
//! `REVAULT_API_KEY_SECRET` to use a real revault-api instead.

use std::time::Duration;

use revault_auth::tokio::TokenManager;
use revault_auth::{ApiKeySecret, Config};
use revault_auth_mock::{MockConfig, MockServer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (tokens, base, _emulator) = match TokenManager::from_env() {
        Ok(tokens) => (tokens, std::env::var("REVAULT_API_URL")?, None),
        Err(_) => {
            let emulator = MockServer::start(
                MockConfig::default().with_ttls(Duration::from_secs(2), Duration::from_secs(60)),
            )
            .await?;
            let config = Config::builder(
                emulator.base_url(),
                MockConfig::DEFAULT_WORKSPACE,
                MockConfig::DEFAULT_API_KEY_ID,
                ApiKeySecret::new(MockConfig::DEFAULT_API_KEY_SECRET),
            )
            .build()?;
            (
                TokenManager::new(config)?,
                emulator.base_url(),
                Some(emulator),
            )
        }
    };
    let client = reqwest::Client::new();
    for call in 1..=3 {
        let token = tokens.token_owned().await?;
        let answer = client
            .get(format!("{base}/accounts"))
            .header(http::header::AUTHORIZATION, token.header_value().clone())
            .send()
            .await?;
        if answer.status() == reqwest::StatusCode::UNAUTHORIZED {
            tokens.invalidate(&token);
        }
        println!(
            "call {call}: token generation {}, HTTP {}",
            token.generation().get(),
            answer.status()
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokens.shutdown().await;
    Ok(())
}
