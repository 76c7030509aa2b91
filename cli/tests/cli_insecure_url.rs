//! `http://` to a host that is not loopback is refused with exit 2 before
//! any traffic, even when that host would reach the emulator.

mod cli_support;
mod common;

use std::time::Duration;

use cli_support::{against, assert_no_secrets, assert_no_traffic, emulator, error_line, run};

#[test]
fn plain_http_to_a_non_loopback_host_exits_2_without_traffic() {
    let server = emulator();
    let port = server.addr().port();
    // 0.0.0.0 is not a loopback address, yet on Linux a connection to it
    // reaches this host: were the URL not refused, the emulator would see it.
    let unspecified = format!("http://0.0.0.0:{port}/v1/rest");
    for (url, args) in [
        (unspecified.as_str(), &["token"][..]),
        (unspecified.as_str(), &["get", "/accounts"]),
        (unspecified.as_str(), &["watch", "--duration", "1"]),
        ("http://revault.example/v1/rest", &["token"]),
    ] {
        let mut command = against(&server, args);
        command.env("REVAULT_API_URL", url);
        let run = run(command, Duration::from_secs(20));
        assert_eq!(run.code(), Some(2), "{url} {args:?}\n{}", run.show());
        assert!(
            error_line(&run).contains("refusing plain http://"),
            "{}",
            run.show()
        );
        assert_no_secrets(&run, &[]);
    }
    assert_no_traffic(&server);
}
