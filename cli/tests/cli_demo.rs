//! `revault-auth demo` runs the emulator and a client, shows every stage,
//! checks them, and exits 0 well within 30 s.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{bare, run};
use revault_auth_mock::MockConfig;

#[test]
fn demo_exits_0_and_shows_each_stage() {
    let run = run(bare(&["demo"]), Duration::from_secs(30));

    assert_eq!(run.code(), Some(0), "{}", run.show());
    assert!(run.elapsed < Duration::from_secs(30), "{}", run.show());
    for stage in [
        "1/8 authenticate",
        "2/8 refresh",
        "3/8 rotation",
        "4/8 transient failure and backoff",
        "5/8 rate limit",
        "6/8 re-authentication",
        "7/8 revocation",
        "8/8 steady state",
    ] {
        assert!(run.stdout.contains(stage), "{stage}\n{}", run.show());
    }
    // Each stage was checked, and the timeline shows what happened.
    assert_eq!(run.stdout.matches("   ok  ").count(), 8, "{}", run.show());
    for seen in [
        "authenticated: token #1",
        "refreshed: token #2",
        "refreshed: token #3",
        "-> 502 (injected fault)",
        "backing off",
        "connection closed",
        "reason: refresh token spent",
        "-> 429 (injected fault)",
        "reason: refresh rejected",
        "-> 401 (Access token revoked)",
        "all 8 happened",
        "summary after",
    ] {
        assert!(run.stdout.contains(seen), "{seen}\n{}", run.show());
    }
    // Not a terminal: no spinner, no escape sequences.
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains('\r') && !text.contains('\u{1b}'),
            "{}",
            run.show()
        );
        assert!(
            !text.contains(MockConfig::DEFAULT_API_KEY_SECRET),
            "{}",
            run.show()
        );
        assert!(
            !text.contains("eyJ"),
            "no token in the demo's output\n{}",
            run.show()
        );
    }
    assert!(run.stderr.is_empty(), "{}", run.show());
}
