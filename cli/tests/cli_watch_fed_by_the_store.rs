//! A `watch --cache F` process that another process keeps supplied: every
//! token it holds comes from the shared file (`Event::Restored`), none from
//! a request of its own. It still holds a token the whole time, so it
//! prints those tokens and exits 0.

mod cli_support;
mod common;
mod hostile;

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use cli_support::{against, assert_no_secrets, finish};
use common::{KEY_ID, WORKSPACE, mock_config};
use hostile::arg;
use revault_auth_core::{AccessTokenSecret, RefreshToken, SAVED_FORMAT, SavedTokens};
use revault_auth_mock::MockServer;
use revault_auth_store::{FileStore, SessionKey, TokenStore};

/// The other process's part: a fresh pair, minted by the emulator without
/// a request, saved the way a manager saves it (refresh point at 80 % of
/// the life, usable until 90 %).
fn save_fresh_pair(server: &MockServer, store: &FileStore, version: Option<u64>) -> u64 {
    let issued = server
        .issue_tokens(WORKSPACE, KEY_ID)
        .expect("the emulator signs a pair");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    let life = (issued.expires_in_seconds * 1000.0) as u64;
    let tokens = SavedTokens {
        format: SAVED_FORMAT,
        version: 0,
        workspace: WORKSPACE.to_owned(),
        api_key_id: KEY_ID.to_owned(),
        access_token: AccessTokenSecret::new(issued.access_token),
        access_expires_at_unix_ms: now + life,
        access_usable_until_unix_ms: now + life * 9 / 10,
        access_refresh_at_unix_ms: now + life * 8 / 10,
        refresh_token: Some(RefreshToken::new(issued.refresh_token)),
        refresh_usable_until_unix_ms: now + (issued.refresh_expires_in_seconds * 900.0) as u64,
    };
    store
        .save(
            &SessionKey::new(server.base_url(), WORKSPACE, KEY_ID),
            &tokens,
            version,
        )
        .expect("the other process saves")
}

#[test]
fn a_watch_fed_only_by_the_store_prints_its_tokens_and_exits_0() {
    // 3 s tokens: refresh point at 2.4 s; the feeder saves a newer pair
    // every 0.5 s, so the watcher always finds one when it is due.
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(3), Duration::from_secs(60)))
            .expect("emulator");
    let (_dir, cache) = hostile::private_cache();
    let first = save_fresh_pair(&server, &FileStore::new(&cache), None);

    let stop = AtomicBool::new(false);
    let run = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut version = Some(first);
            let store = FileStore::new(&cache);
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                version = Some(save_fresh_pair(&server, &store, version));
            }
        });
        let started = Instant::now();
        let child = against(
            &server,
            &["watch", "--cache", arg(&cache), "--duration", "5"],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary");
        let run = finish(child, started, Duration::from_secs(30));
        stop.store(true, Ordering::Relaxed);
        run
    });

    assert_eq!(run.code(), Some(0), "{}", run.show());
    let events: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("JSON: {line}")))
        .collect();
    let restored = events
        .iter()
        .filter(|event| event["event"] == "restored")
        .count();
    // Once at start (or as soon as it is due), and again at each refresh
    // point: 2.4 s and 4.8 s into a 5 s run.
    assert!(restored >= 2, "restored tokens printed\n{}", run.show());
    assert!(
        events
            .iter()
            .filter(|event| event["event"] == "restored")
            .all(|event| event["generation"].as_u64().is_some()),
        "{}",
        run.show()
    );
    assert!(
        server.log().is_empty(),
        "the watcher sent a request: {:?}",
        server.log()
    );
    assert_no_secrets(&run, &[]);
    eprintln!(
        "figure: a 5 s watch fed by the store printed {restored} restored tokens, sent 0 requests"
    );
}
