//! A `watch --cache F` process that another process keeps supplied: every
//! token it holds comes from the shared file (`Event::Restored`), none from
//! a request of its own. It still holds a token the whole time, so it
//! prints those tokens and exits 0.

mod cli_support;
mod common;
mod hostile;

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cli_support::{against, assert_no_secrets, finish, save_issued_pair};
use common::mock_config;
use hostile::arg;
use revault_auth_mock::MockServer;
use revault_auth_store::FileStore;

#[test]
fn a_watch_fed_only_by_the_store_prints_its_tokens_and_exits_0() {
    // 3 s tokens: refresh point at 2.4 s; the feeder saves a newer pair
    // every 0.5 s, so the watcher always finds one when it is due.
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(3), Duration::from_secs(60)))
            .expect("emulator");
    let (_dir, cache) = hostile::private_cache();
    let first = save_issued_pair(&server, &FileStore::new(&cache), None, 0.8);

    let stop = AtomicBool::new(false);
    let run = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut version = Some(first);
            let store = FileStore::new(&cache);
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                version = Some(save_issued_pair(&server, &store, version, 0.8));
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
