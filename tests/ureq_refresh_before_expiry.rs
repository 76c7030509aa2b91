//! Past the refresh point, the first caller refreshes inline while every
//! other caller keeps getting the current token at once.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{config_for, mock_config};
use revault_auth_mock::{Fault, MockServer, Target};
use revault_auth_ureq::BlockingTokenManager;

#[test]
fn first_caller_past_the_refresh_point_refreshes_while_others_keep_the_token() {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(4), Duration::from_secs(60)))
            .expect("emulator");
    let manager =
        BlockingTokenManager::new(config_for(&server).build().expect("config")).expect("manager");
    let first = manager.token().expect("first token").into_owned();
    assert!(first.refresh_at() < first.usable_until());

    // Before the refresh point nothing is sent.
    assert_eq!(
        manager.token().expect("cached").generation(),
        first.generation()
    );
    assert_eq!(server.refresh_requests(), 0);

    thread::sleep(first.refresh_at().saturating_duration_since(Instant::now()));
    server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(300)));
    let (refreshed, took, others) = thread::scope(|scope| {
        let refresher = scope.spawn(|| {
            let started = Instant::now();
            let token = manager.token().expect("refreshed token").into_owned();
            (token, started.elapsed())
        });
        thread::sleep(Duration::from_millis(50));
        let mut others = Vec::new();
        while !refresher.is_finished() {
            let started = Instant::now();
            let token = manager.token().expect("current token");
            others.push((token.generation(), started.elapsed()));
            drop(token);
            thread::sleep(Duration::from_millis(10));
        }
        let (token, took) = refresher.join().expect("refresher");
        (token, took, others)
    });

    assert_eq!(refreshed.generation().get(), 2);
    assert!(
        took >= Duration::from_millis(300),
        "the refresher drove it: {took:?}"
    );
    let old = others
        .iter()
        .filter(|(g, _)| *g == first.generation())
        .count();
    assert!(old >= 10, "others kept the old token meanwhile: {others:?}");
    assert!(
        others
            .iter()
            .all(|(_, waited)| *waited < Duration::from_millis(150)),
        "nobody else waited: {others:?}"
    );
    assert!(Instant::now() < first.usable_until() + Duration::from_millis(100));
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(manager.token().expect("new").generation().get(), 2);
}
