//! Every manager's `from_env()` takes the API key secret from the file
//! named by `REVAULT_API_KEY_SECRET_FILE` (as secrets are mounted in
//! containers), trailing newline trimmed. Run in a child process: changing
//! this process's environment would race with other tests.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{KEY_ID, SECRET, WORKSPACE, server, statuses};
use revault_auth::{ENV_API_KEY_ID, ENV_API_KEY_SECRET_FILE, ENV_API_URL, ENV_WORKSPACE};

const CHILD: &str = "REVAULT_AUTH_FROM_ENV_CHILD";

#[test]
fn every_manager_reads_the_secret_from_a_file() {
    let server = server(Duration::from_secs(60), Duration::from_secs(120));
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("api-key-secret");
    std::fs::write(&file, format!("{SECRET}\n")).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "from_env_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env(ENV_API_URL, server.base_url())
        .env(ENV_WORKSPACE, WORKSPACE)
        .env(ENV_API_KEY_ID, KEY_ID)
        .env(ENV_API_KEY_SECRET_FILE, &file)
        .env_remove("REVAULT_API_KEY_SECRET")
        .output()
        .expect("child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    // The oracle is the emulator: three logins with the right secret.
    assert_eq!(statuses(&server), [Some(200), Some(200), Some(200)]);
}

/// The child: one token through each manager's `from_env()`.
#[test]
fn from_env_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let tokens = revault_auth::tokio::TokenManager::from_env().expect("tokio from_env");
        tokens.token().await.expect("tokio token");
        tokens.shutdown().await;
    });
    let tokens = revault_auth::ureq::BlockingTokenManager::from_env().expect("ureq from_env");
    tokens.token().expect("ureq token");
    smol::block_on(async {
        let tokens = revault_auth::async_std::TokenManager::from_env().expect("async-std from_env");
        tokens.token().await.expect("async-std token");
        tokens.shutdown().await;
    });
}
