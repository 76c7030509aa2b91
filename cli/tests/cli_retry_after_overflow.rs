//! `Retry-After: 99999999999999999999999` is a very long wait, not an
//! absent header: it saturates to the cap (300 s), as `999999` does. Read
//! as absent, it would leave only the 0.25 s backoff: 6 requests in 4 s.
//! Oracle: the requests a scripted server received during a 4 s run.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{bare, run};
use common::{KEY_ID, SECRET, WORKSPACE};
use hostile::Scripted;

fn requests_in_4_s(retry_after: &'static str) -> usize {
    let server = Scripted::start(move |_| {
        (
            "429 Too Many Requests",
            vec![
                "content-type: application/json".to_owned(),
                format!("retry-after: {retry_after}"),
            ],
            r#"{"message":"slow down","code":"TOO_MANY_REQUESTS"}"#.to_owned(),
        )
    });
    let mut command = bare(&["token", "--deadline", "4"]);
    command
        .env("REVAULT_API_URL", &server.base_url)
        .env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", SECRET);
    let ran = run(command, Duration::from_secs(20));
    assert_eq!(ran.code(), Some(4), "{}", ran.show());
    server.count("/auth/token")
}

#[test]
fn a_large_retry_after_waits_the_cap() {
    assert_eq!(requests_in_4_s("999999"), 1);
}

#[test]
fn an_overflowing_retry_after_waits_the_cap_too() {
    assert_eq!(requests_in_4_s("99999999999999999999999"), 1);
}
