//! `watch > /dev/full` loses every event it writes: a write error other
//! than a closed pipe is a failure (exit 1), not a quiet exit 0; a reader
//! that goes away (`| head`) still ends the run quietly.

mod cli_support;
mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use cli_support::{against, emulator, finish};

#[test]
fn watch_into_dev_full_fails_instead_of_losing_every_event() {
    let server = emulator();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let started = Instant::now();
    let child = against(&server, &["watch", "--duration", "5"])
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .expect("watch");
    let ran = finish(child, started, Duration::from_secs(20));
    assert_eq!(ran.code(), Some(1), "{}", ran.show());
    assert!(
        ran.stderr.contains("cannot write the events"),
        "{}",
        ran.show()
    );
    assert!(ran.stderr.contains("No space left"), "{}", ran.show());
    // It stopped at the first lost event, not after --duration.
    assert!(ran.elapsed < Duration::from_secs(4), "{}", ran.show());
}

#[test]
fn watch_into_a_closed_pipe_still_ends_quietly() {
    let server = emulator();
    let started = Instant::now();
    let mut child = against(&server, &["watch", "--duration", "5"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watch");
    drop(child.stdout.take());
    let ran = finish(child, started, Duration::from_secs(20));
    assert_eq!(ran.code(), Some(0), "{}", ran.show());
}
