//! Issue 12.4: a cache path linked to `/dev/zero` grew memory to 1 GB
//! before failing; a FIFO there hung forever despite `--deadline 2`. Only
//! a regular file of bounded size is read, and every wait ends in time.

mod cli_support;
mod common;
mod hostile;

use std::time::Duration;

use cli_support::{against, assert_no_traffic, error_line, run};
use common::mock_config;
use hostile::arg;
use revault_auth_mock::MockServer;

fn server() -> MockServer {
    MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator")
}

#[test]
fn a_cache_linked_to_dev_zero_is_refused_at_once() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    std::os::unix::fs::symlink("/dev/zero", &cache).expect("link");
    let refused = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--deadline", "2"],
        ),
        Duration::from_secs(10),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(
        error_line(&refused).contains("symbolic link"),
        "{}",
        refused.show()
    );
    // Reading 1 GB of zeros took seconds; refusing takes milliseconds.
    assert!(
        refused.elapsed < Duration::from_secs(2),
        "{}",
        refused.show()
    );
    eprintln!(
        "figure: a cache linked to /dev/zero refused in {:?}",
        refused.elapsed
    );
    assert_no_traffic(&server);
}

#[test]
fn a_fifo_cache_with_deadline_2_is_refused_without_hanging() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    let made = std::process::Command::new("mkfifo")
        .arg(&cache)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    hostile::set_mode(&cache, 0o600);
    let refused = run(
        against(
            &server,
            &["token", "--cache", arg(&cache), "--deadline", "2"],
        ),
        Duration::from_secs(10),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(
        error_line(&refused).contains("not a regular file"),
        "{}",
        refused.show()
    );
    assert!(
        refused.elapsed < Duration::from_secs(2),
        "{}",
        refused.show()
    );
    eprintln!("figure: a FIFO cache refused in {:?}", refused.elapsed);
    assert_no_traffic(&server);
}

#[test]
fn a_huge_cache_file_is_refused_without_reading_it() {
    let server = server();
    let (_dir, cache) = hostile::private_cache();
    let file = std::fs::File::create(&cache).expect("create");
    file.set_len(1 << 30).expect("a 1 GB sparse file");
    hostile::set_mode(&cache, 0o600);
    let refused = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(10),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(error_line(&refused).contains("bytes"), "{}", refused.show());
    assert!(
        refused.elapsed < Duration::from_secs(2),
        "{}",
        refused.show()
    );
    eprintln!("figure: a 1 GB cache file refused in {:?}", refused.elapsed);
}
