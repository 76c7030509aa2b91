//! Two managers (standing in for two processes of one service) share one
//! session through a file store: the second starts from the token the first
//! saved, with no request of its own, and a refresh by either is seen by
//! both.
//!
//! `cargo run --example with_store` uses a private temporary directory;
//! `REVAULT_TOKEN_FILE=/run/myapp/tokens.json` names the file instead (its
//! directory must be yours and closed to other users). revault-api is an
//! in-process emulator unless the `REVAULT_*` variables are set.

use std::path::PathBuf;

use revault_auth::tokio::{FileStore, ReqwestTransport, TokenManager};

mod common;

fn manager(api: &common::Api, path: &PathBuf) -> Result<TokenManager, Box<dyn std::error::Error>> {
    Ok(
        TokenManager::builder(api.config.clone(), ReqwestTransport::new()?)
            .with_store(FileStore::new(path))
            .build()?,
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = common::api()?;
    let scratch = tempfile::tempdir()?;
    let path = std::env::var_os("REVAULT_TOKEN_FILE")
        .map_or_else(|| scratch.path().join("tokens.json"), PathBuf::from);

    let first = manager(&api, &path)?;
    let token = first.token_owned().await?;
    println!(
        "first manager: token generation {}",
        token.generation().get()
    );

    let second = manager(&api, &path)?;
    let shared = second.token_owned().await?;
    println!(
        "second manager: the same token from the store: {}",
        shared.secret().expose_secret() == token.secret().expose_secret()
    );
    if let Some(emulator) = &api.emulator {
        println!(
            "revault-api saw {} token request(s)",
            emulator.token_requests() + emulator.refresh_requests()
        );
    }
    first.shutdown().await;
    second.shutdown().await;
    Ok(())
}
