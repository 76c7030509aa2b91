//! Two `revault-auth watch --cache F` processes run side by side against
//! the emulator with 2 s tokens: they share one session. From the
//! emulator's log: one authentication for both, no refresh token spent
//! twice, never two requests at once, and about one refresh per cycle for
//! the pair (what one process alone makes), not two.

mod cli_support;
mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use cli_support::{against, finish};
use common::mock_config;
use revault_auth_mock::{Endpoint, Fault, MockServer, Target};

#[test]
fn cli_watch_shares_the_cache() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(2),
        Duration::from_secs(600),
    ))
    .expect("emulator");
    let latency = Duration::from_millis(100);
    server.set_persistent_fault(Target::Both, Some(Fault::delay(latency)));
    let dir = tempfile::tempdir().expect("a private directory");
    let cache = dir.path().join("tokens.json");
    let cache = cache.to_str().expect("a UTF-8 path");

    let started = Instant::now();
    let children: Vec<_> = (0..2)
        .map(|_| {
            let mut command = against(&server, &["watch", "--cache", cache, "--duration", "6"]);
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            command.spawn().expect("the binary")
        })
        .collect();
    for child in children {
        let run = finish(child, started, Duration::from_secs(30));
        assert_eq!(run.code(), Some(0), "{}", run.show());
    }

    let log = server.log();
    let reuses = log
        .iter()
        .filter(|logged| logged.endpoint == Endpoint::Refresh && logged.status != Some(200))
        .count();
    assert_eq!(reuses, 0, "a refresh token spent twice");
    assert_eq!(server.token_requests(), 1, "one session for both");
    for pair in log.windows(2) {
        let gap = pair[1].at.saturating_duration_since(pair[0].at);
        assert!(gap >= latency, "two requests at once ({gap:?})");
    }
    // One process alone refreshes about every 1.5-1.6 s: about 4 in 6 s.
    let refreshes = server.refresh_requests();
    assert!((2..=5).contains(&refreshes), "{refreshes} refreshes in 6 s");
}
