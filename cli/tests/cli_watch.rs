//! `revault-auth watch --duration 3` with 1 s tokens prints one JSON object
//! per event, each with `event` and `t_ms`.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, run};
use common::mock_config;
use revault_auth_mock::MockServer;

const EVENTS: [&str; 7] = [
    "authenticated",
    "refreshed",
    "reauthenticated",
    "retrying",
    "rate_limited",
    "expired",
    "failed",
];

#[test]
fn watch_prints_json_lines() {
    let server =
        MockServer::start_background(mock_config(Duration::from_secs(1), Duration::from_secs(10)))
            .expect("emulator");

    let run = run(
        against(&server, &["watch", "--duration", "3"]),
        Duration::from_secs(20),
    );

    assert_eq!(run.code(), Some(0), "{}", run.show());
    assert!(run.elapsed >= Duration::from_secs(3), "{}", run.show());
    assert!(run.elapsed < Duration::from_secs(10), "{}", run.show());
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("JSON: {line}")))
        .collect();
    let mut last_t = 0;
    for line in &lines {
        let event = line["event"].as_str().expect("event");
        assert!(EVENTS.contains(&event), "{line}");
        let t = line["t_ms"].as_u64().expect("t_ms");
        assert!(t >= last_t && t <= 3_500, "{line}");
        last_t = t;
    }
    let names: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    assert_eq!(names.first(), Some(&"authenticated"), "{}", run.show());
    let refreshed = names.iter().filter(|name| **name == "refreshed").count();
    assert!(
        refreshed >= 2,
        "1 s tokens refresh more than once in 3 s\n{}",
        run.show()
    );
    assert_eq!(lines[0]["generation"], 1);
    assert_eq!(lines[0]["expires_in_s"], 1.0);
    // A refresh may still have been on its way when the watch ended.
    let sent = server.refresh_requests();
    assert!(
        sent == refreshed || sent == refreshed + 1,
        "{sent} sent, {refreshed} announced"
    );
    assert_no_secrets(&run, &[]);
}
