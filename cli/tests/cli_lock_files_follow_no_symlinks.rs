//! Issue 12.3: in a shared (1777) directory another user links
//! `tok.json.lock` and `tok.json.update.lock` to paths of their choice;
//! `token --cache` must create nothing where the links point, and say why.

mod cli_support;
mod common;
mod hostile;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use cli_support::{against, assert_no_secrets, assert_no_traffic, error_line, run};
use common::mock_config;
use hostile::{arg, set_mode, sibling};
use revault_auth_mock::MockServer;

fn plant_links(cache: &Path, victims: &Path) {
    for suffix in [".lock", ".update.lock"] {
        symlink(
            victims.join(format!("chosen{suffix}")),
            sibling(cache, suffix),
        )
        .expect("plant a link");
    }
}

fn victims_untouched(victims: &Path) {
    let created: Vec<_> = std::fs::read_dir(victims)
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert!(
        created.is_empty(),
        "created where links pointed: {created:?}"
    );
}

#[test]
fn links_in_a_shared_sticky_directory_are_refused_and_nothing_is_created() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator");
    let shared = tempfile::tempdir().expect("shared directory");
    set_mode(shared.path(), 0o1777);
    let victims = tempfile::tempdir().expect("the attacker's choice");
    let cache = shared.path().join("tok.json");
    plant_links(&cache, victims.path());

    let refused = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    let line = error_line(&refused);
    assert!(line.contains("writable by group or others"), "{line}");
    assert!(line.contains("private directory"), "{line}");
    assert!(refused.stdout.is_empty());
    assert_no_secrets(&refused, &[]);
    assert_no_traffic(&server);
    victims_untouched(victims.path());
}

#[test]
fn links_in_a_private_directory_are_refused_not_followed() {
    let server = MockServer::start_background(mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator");
    let (_dir, cache) = hostile::private_cache();
    let victims = tempfile::tempdir().expect("the attacker's choice");
    plant_links(&cache, victims.path());

    let refused = run(
        against(&server, &["token", "--cache", arg(&cache)]),
        Duration::from_secs(20),
    );
    assert_eq!(refused.code(), Some(2), "{}", refused.show());
    assert!(
        error_line(&refused).contains("symbolic link"),
        "{}",
        refused.show()
    );
    assert_no_traffic(&server);
    victims_untouched(victims.path());
}
