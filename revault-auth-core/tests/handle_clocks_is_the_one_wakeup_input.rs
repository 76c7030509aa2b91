//! `handle_clocks(now, wall)` is `handle_wall_clock` then `handle_timeout`:
//! a driver that only calls it on each wake-up notices a suspend and acts on
//! its deadlines.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{config, epoch, secs};
use revault_auth_core::{AuthCore, Event, ExpiryCause};

/// A core started on both clocks that has had its login answered (its
/// events not yet read), with the instant and wall time it started at.
fn logged_in() -> (AuthCore, Instant, SystemTime) {
    let start = epoch();
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut core = AuthCore::new(config(), start);
    core.handle_clocks(start, wall);
    core.start(start);
    let login = core.poll_transmit(start).expect("login");
    core.handle_response(login.id, http::Response::new(GRANT.to_vec()), start);
    (core, start, wall)
}

/// `handle_clocks(now, wall)` reports the token expired for `cause`.
fn assert_expires(core: &mut AuthCore, now: Instant, wall: SystemTime, cause: ExpiryCause) {
    core.handle_clocks(now, wall);
    let events: Vec<Event> = std::iter::from_fn(|| core.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Expired { cause: c, .. } if *c == cause)),
        "{events:?}"
    );
}

const GRANT: &[u8] = br#"{"accessToken":"tok-a","expiresInSeconds":300,"refreshToken":"tok-r","refreshExpiresInSeconds":1800}"#;

#[test]
fn handle_clocks_notices_a_suspend_and_fires_the_timers() {
    let (mut core, start, wall) = logged_in();
    while core.poll_event().is_some() {}

    // Asleep for 200 s, then 100 s awake: the token's real life is over.
    let now = start + secs(100.0);
    assert_expires(&mut core, now, wall + secs(300.0), ExpiryCause::Suspended);
    assert!(core.access_token(now).is_none());
    assert!(
        core.poll_transmit(now).is_some(),
        "a new token is due at once"
    );
}

#[test]
fn handle_clocks_fires_the_expiry_timer() {
    let (mut core, start, wall) = logged_in();
    let refresh = core.poll_timeout().expect("refresh point");
    // The refresh leaves and is never answered; the token runs out.
    assert!(core.poll_transmit(refresh).is_some());
    while core.poll_event().is_some() {}
    let late = start + secs(295.0);
    assert_expires(&mut core, late, wall + secs(295.0), ExpiryCause::Lifetime);
}
