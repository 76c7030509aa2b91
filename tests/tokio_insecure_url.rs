//! Plain http:// to a host that is not loopback is refused before any
//! traffic, with a clear `TokenError::Config`, including through `from_env`.

use revault_auth::core::{
    ConfigError, ENV_API_KEY_ID, ENV_API_KEY_SECRET, ENV_API_URL, ENV_WORKSPACE,
};
use revault_auth::tokio::{TokenError, TokenManager};
use revault_auth::{ApiKeySecret, Config};

const CHILD: &str = "REVAULT_AUTH_TOKIO_TEST_CHILD";
const SECRET: &str = "insecure-url-test-secret-5e1f";

#[test]
fn plain_http_to_a_remote_host_is_a_config_error() {
    let error: TokenError = Config::builder(
        "http://192.0.2.10/v1/rest",
        "ws",
        "key-id",
        ApiKeySecret::new(SECRET),
    )
    .build()
    .expect_err("refused")
    .into();
    assert_eq!(
        error,
        TokenError::Config(ConfigError::InsecureUrl {
            host: "192.0.2.10".to_owned()
        })
    );
    let message = error.to_string();
    assert!(message.contains("https://"), "{message}");
    assert!(!message.contains(SECRET), "{message}");
}

/// Runs `from_env` in a child process (changing this process's environment
/// would race with other tests), pointed at a non-loopback plain-http URL.
#[test]
fn from_env_refuses_plain_http() {
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "from_env_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env(ENV_API_URL, "http://revault.example.com/v1/rest")
        .env(ENV_WORKSPACE, "ws")
        .env(ENV_API_KEY_ID, "key-id")
        .env(ENV_API_KEY_SECRET, SECRET)
        .output()
        .expect("child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(!stdout.contains(SECRET), "{stdout}");
}

#[tokio::test]
async fn from_env_child() {
    if std::env::var_os(CHILD).is_none() {
        return; // only meaningful in the child process
    }
    let error = TokenManager::from_env().expect_err("refused before any traffic");
    assert!(
        matches!(
            &error,
            TokenError::Config(ConfigError::InsecureUrl { host }) if host == "revault.example.com"
        ),
        "{error:?}"
    );
    println!("refused: {error}");
}
