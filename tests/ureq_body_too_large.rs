//! A server answering 200 with a 10 MB body: the transport stops reading
//! past the cap (64 KiB), memory stays bounded, and the failure is reported
//! as `BodyTooLarge`.

mod common;

use std::time::Duration;

use common::{KEY_ID, SECRET, WORKSPACE, huge_server, reset_peak, status_kib};
use revault_auth_core::{ApiKeySecret, AuthError, Config, TokenError, TransportErrorKind};
use revault_auth_ureq::BlockingTokenManager;

#[test]
fn a_ten_megabyte_body_is_refused_with_bounded_memory() {
    let url = huge_server();
    let config = Config::builder(url, WORKSPACE, KEY_ID, ApiKeySecret::new(SECRET))
        .tune(|policy| policy.backoff_base = Duration::from_millis(50))
        .build()
        .expect("config");
    let manager = BlockingTokenManager::new(config)
        .expect("manager")
        .wait_timeout(Duration::from_millis(500));

    let measured = reset_peak();
    let baseline = status_kib("VmRSS:");
    let result = manager.token();
    let peak = status_kib("VmHWM:");

    match result {
        Err(TokenError::TimedOut {
            last_error: Some(AuthError::Transport(TransportErrorKind::BodyTooLarge)),
            ..
        }) => {}
        other => panic!("expected BodyTooLarge, got {other:?}"),
    }
    match (measured, baseline, peak) {
        (true, Some(baseline), Some(peak)) => {
            let growth = peak.saturating_sub(baseline);
            assert!(growth < 3 * 1024, "resident memory grew by {growth} KiB");
        }
        _ => eprintln!("peak RSS not measurable here; only the refusal was checked"),
    }
}
