//! Issue 12.11: `--cache /` created `/.lock` before failing, and the error
//! read "cannot open the lock file the token store ...". A cache path that
//! names no regular file is refused before anything is created, in words.

mod cli_support;
mod common;
mod hostile;

use std::path::Path;
use std::time::Duration;

use cli_support::{against, assert_no_traffic, error_line, run};
use common::mock_config;
use hostile::{arg, sibling};
use revault_auth_mock::MockServer;

fn server() -> MockServer {
    MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator")
}

#[test]
fn cache_root_is_refused_and_creates_no_lock_file() {
    let server = server();
    let refused = run(
        against(&server, &["token", "--cache", "/"]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(
        error_line(&refused).contains("does not name a file"),
        "{}",
        refused.show()
    );
    assert!(!Path::new("/.lock").exists());
    assert!(!Path::new("/.update.lock").exists());
    assert_no_traffic(&server);
}

#[test]
fn a_lock_path_that_is_a_directory_reads_clearly() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    std::fs::create_dir(sibling(&cache, ".update.lock")).expect("mkdir");
    let refused = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    let line = error_line(&refused);
    assert!(
        line.ends_with("tok.json.update.lock for the token store: it is not a regular file"),
        "{}",
        refused.show()
    );
    assert!(!line.contains("the lock file the token store"), "{line}");
    assert_no_traffic(&server);
}
