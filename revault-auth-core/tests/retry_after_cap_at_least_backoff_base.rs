//! `retry_after_cap` below `backoff_base` is refused at configuration time
//! (with 0, a server answering 429 every time would get one request per
//! round trip).

mod common;

use std::time::Duration;

use common::builder;
use revault_auth_core::ConfigError;

#[test]
fn retry_after_cap_below_backoff_base_is_refused() {
    for cap in [Duration::ZERO, Duration::from_millis(249)] {
        let error = builder()
            .tune(|p| p.retry_after_cap = cap)
            .build()
            .expect_err("cap below the base");
        assert!(matches!(error, ConfigError::InvalidPolicy(_)), "{cap:?}");
    }
    assert!(
        builder()
            .tune(|p| p.retry_after_cap = Duration::from_millis(250))
            .build()
            .is_ok()
    );
}
