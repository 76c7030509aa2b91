//! A `now` older than one the core has seen is a stale reading (read before
//! a lock, say), not a clock step. The core clamps it and accumulates
//! nothing, and every instant it hands out stays on the driver's clock: a
//! token refreshed after one stale reading is not published past its real
//! expiry.

mod common;

use std::time::Duration;

use common::{config, epoch, secs};
use revault_auth_core::AuthCore;

const GRANT: &[u8] = br#"{"accessToken":"tok-a","expiresInSeconds":300,"refreshToken":"tok-r","refreshExpiresInSeconds":1800}"#;
const REFRESHED: &[u8] = br#"{"accessToken":"tok-b","expiresInSeconds":300,"refreshToken":"tok-r2","refreshExpiresInSeconds":1800}"#;

#[test]
fn stale_now_is_clamped_not_accumulated() {
    let start = epoch();
    let mut core = AuthCore::new(config(), start);
    core.start(start);
    let login = core.poll_transmit(start).expect("login");
    core.handle_response(login.id, http::Response::new(GRANT.to_vec()), start);

    // The driver read `now` 50 s ago, then waited for a lock.
    let t100 = start + secs(100.0);
    core.handle_timeout(t100);
    core.handle_timeout(t100 - secs(50.0));
    assert!(core.poll_transmit(t100 - secs(50.0)).is_none());

    // The refresh goes out at the refresh point on the driver's clock.
    let wake = core.poll_timeout().expect("refresh scheduled");
    assert!(
        wake <= start + secs(240.0),
        "refresh point moved by the stale reading: {:?}",
        wake - start
    );
    let refresh = core.poll_transmit(wake).expect("refresh");
    core.handle_response(refresh.id, http::Response::new(REFRESHED.to_vec()), wake);
    let token = core.access_token(wake).expect("refreshed").clone();

    // 300 s from the send, minus the 10 s floor, on the driver's clock.
    assert_eq!(token.usable_until(), wake + secs(290.0));
    assert_eq!(token.expires_at(), wake + secs(300.0));
    assert!(core.access_token(wake + secs(291.0)).is_none());
    assert!(core.poll_timeout().expect("a deadline") <= wake + secs(290.0));
    // And a stale reading never revives it once withdrawn.
    core.handle_timeout(wake + Duration::from_secs(295));
    assert!(core.access_token(wake).is_none());
}
