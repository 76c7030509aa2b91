//! The machine sleeps while a refresh is in flight. The new token's
//! lifetime counts from the send, in real elapsed time, whether the driver
//! reports the wall clock before or after the answer.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{config, epoch, secs};
use revault_auth_core::AuthCore;

const GRANT: &[u8] = br#"{"accessToken":"tok-a","expiresInSeconds":300,"refreshToken":"tok-r","refreshExpiresInSeconds":1800}"#;
const REFRESHED: &[u8] = br#"{"accessToken":"tok-b","expiresInSeconds":300,"refreshToken":"tok-r2","refreshExpiresInSeconds":1800}"#;

/// A core with a token, whose refresh has just left at `sent`.
fn refresh_in_flight() -> (AuthCore, Instant, SystemTime, revault_auth_core::RequestId) {
    let start = epoch();
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut core = AuthCore::new(config(), start);
    core.handle_wall_clock(start, wall);
    core.start(start);
    let login = core.poll_transmit(start).expect("login");
    core.handle_response(login.id, http::Response::new(GRANT.to_vec()), start);
    let sent = core.poll_timeout().expect("refresh point");
    core.handle_wall_clock(sent, wall + (sent - start));
    core.handle_timeout(sent);
    let refresh = core.poll_transmit(sent).expect("refresh");
    (core, sent, wall + (sent - start), refresh.id)
}

/// The machine slept 200 s with the refresh in flight: the new token has
/// 100 s of real life left (90 s usable), counted from the send.
fn assert_counts_from_the_send(core: &AuthCore, sent: Instant) {
    let token = core.access_token(sent).expect("still usable");
    assert_eq!(token.usable_until(), sent + secs(90.0));
    assert_eq!(token.expires_at(), sent + secs(100.0));
    assert!(core.access_token(sent + secs(91.0)).is_none());
}

#[test]
fn suspend_reported_before_the_answer_counts_from_the_send() {
    let (mut core, sent, wall, id) = refresh_in_flight();
    core.handle_wall_clock(sent, wall + Duration::from_secs(200));
    core.handle_response(id, http::Response::new(REFRESHED.to_vec()), sent);
    assert_counts_from_the_send(&core, sent);
}

#[test]
fn suspend_reported_after_the_answer_counts_from_the_send() {
    let (mut core, sent, wall, id) = refresh_in_flight();
    core.handle_response(id, http::Response::new(REFRESHED.to_vec()), sent);
    core.handle_wall_clock(sent, wall + Duration::from_secs(200));
    assert_counts_from_the_send(&core, sent);
}
