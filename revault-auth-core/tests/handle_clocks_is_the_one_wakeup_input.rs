//! `handle_clocks(now, wall)` is `handle_wall_clock` then `handle_timeout`:
//! a driver that only calls it on each wake-up notices a suspend and acts on
//! its deadlines.

mod common;

use std::time::{Duration, SystemTime};

use common::{config, epoch, secs};
use revault_auth_core::{AuthCore, Event, ExpiryCause};

const GRANT: &[u8] = br#"{"accessToken":"tok-a","expiresInSeconds":300,"refreshToken":"tok-r","refreshExpiresInSeconds":1800}"#;

#[test]
fn handle_clocks_notices_a_suspend_and_fires_the_timers() {
    let start = epoch();
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut core = AuthCore::new(config(), start);
    core.handle_clocks(start, wall);
    core.start(start);
    let login = core.poll_transmit(start).expect("login");
    core.handle_response(login.id, http::Response::new(GRANT.to_vec()), start);
    while core.poll_event().is_some() {}

    // Asleep for 200 s, then 100 s awake: the token's real life is over.
    let now = start + secs(100.0);
    core.handle_clocks(now, wall + secs(300.0));
    let events: Vec<Event> = std::iter::from_fn(|| core.poll_event()).collect();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Expired {
                cause: ExpiryCause::Suspended,
                ..
            }
        )),
        "{events:?}"
    );
    assert!(core.access_token(now).is_none());
    assert!(
        core.poll_transmit(now).is_some(),
        "a new token is due at once"
    );
}

#[test]
fn handle_clocks_fires_the_expiry_timer() {
    let start = epoch();
    let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut core = AuthCore::new(config(), start);
    core.handle_clocks(start, wall);
    core.start(start);
    let login = core.poll_transmit(start).expect("login");
    core.handle_response(login.id, http::Response::new(GRANT.to_vec()), start);
    let refresh = core.poll_timeout().expect("refresh point");
    // The refresh leaves and is never answered; the token runs out.
    assert!(core.poll_transmit(refresh).is_some());
    while core.poll_event().is_some() {}
    let late = start + secs(295.0);
    core.handle_clocks(late, wall + secs(295.0));
    let events: Vec<Event> = std::iter::from_fn(|| core.poll_event()).collect();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Expired {
                cause: ExpiryCause::Lifetime,
                ..
            }
        )),
        "{events:?}"
    );
}
