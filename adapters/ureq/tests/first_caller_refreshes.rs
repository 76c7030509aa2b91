//! With no background thread, the first caller past the refresh point
//! refreshes inline (it waits for the emulator's slow answer) while every
//! other caller keeps getting the current token at once; the emulator sees
//! one refresh.

use std::thread;
use std::time::{Duration, Instant};

use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_mock::{Fault, MockConfig, MockServer, Target};
use revault_auth_ureq::BlockingTokenManager;

#[test]
fn the_first_caller_past_the_refresh_point_refreshes_while_others_keep_the_token() {
    let ttls = (Duration::from_secs(4), Duration::from_secs(60));
    let server = MockServer::start_background(MockConfig::default().with_ttls(ttls.0, ttls.1))
        .expect("emulator");
    let mock = server.config().clone();
    let secret = ApiKeySecret::new(mock.api_key_secret);
    let config = Config::builder(server.base_url(), mock.workspace, mock.api_key_id, secret);
    let manager = BlockingTokenManager::new(config.build().expect("config")).expect("manager");
    let first = manager.token_owned().expect("first token");
    assert_eq!(
        manager.token().expect("cached").generation(),
        first.generation()
    );
    assert_eq!(
        server.refresh_requests(),
        0,
        "nothing before the refresh point"
    );

    thread::sleep(first.refresh_at().saturating_duration_since(Instant::now()));
    server.push_fault(Target::Refresh, Fault::delay(Duration::from_millis(500)));
    let (refreshed, took, others) = thread::scope(|scope| {
        let refresher = scope.spawn(|| {
            let started = Instant::now();
            let token = manager.token_owned().expect("refreshed token");
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
        took >= Duration::from_millis(500),
        "the refresher drove it: {took:?}"
    );
    let old = others
        .iter()
        .filter(|(g, _)| *g == first.generation())
        .count();
    assert!(old >= 5, "others kept the old token meanwhile: {others:?}");
    assert!(
        others
            .iter()
            .all(|(_, waited)| *waited < Duration::from_millis(400)),
        "nobody else waited for the refresh: {others:?}"
    );
    assert_eq!(server.refresh_requests(), 1);
    assert_eq!(server.token_requests(), 1);
    assert_eq!(manager.token().expect("new").generation().get(), 2);
}
