//! A port is digits only: `+PORT` (which Rust's integer parsing accepts)
//! is refused up front, as the server would never be reached.

use revault_auth_core::{ApiKeySecret, Config, ConfigError};

#[test]
fn a_port_with_a_sign_or_spaces_is_refused() {
    for url in [
        "http://127.0.0.1:+8080/v1",
        "https://api.example.com:+443/v1/rest",
        "http://[::1]:+8080/v1",
        "http://127.0.0.1:-1/v1",
        "http://127.0.0.1: 80/v1",
    ] {
        let error = Config::builder(url, "ws", "key-id", ApiKeySecret::new("s3cr3t"))
            .build()
            .expect_err(url);
        assert!(
            matches!(&error, ConfigError::InvalidUrl(text) if text.contains("port")),
            "{url}: {error:?}"
        );
    }
}
