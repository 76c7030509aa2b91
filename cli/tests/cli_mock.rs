//! `revault-auth mock` prints its base URL as its first stdout line, serves
//! the emulator there (with the API key from the environment), and stops
//! cleanly on SIGTERM.

mod cli_support;
mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_support::{Run, against_url, assert_clean, bare, looks_like_jwt, run};
use common::{KEY_ID, SECRET, WORKSPACE};

#[test]
fn mock_prints_its_base_url_first_and_serves() {
    let mut mock = bare(&[
        "mock",
        "--port",
        "0",
        "--access-ttl",
        "60",
        "--refresh-ttl",
        "120",
    ]);
    mock.env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = mock.spawn().expect("start the mock");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let (first_line, first) = mpsc::channel();
    let out = std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = first_line.send(line.clone());
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        line + &rest
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut text);
        text
    });

    let line = first
        .recv_timeout(Duration::from_secs(20))
        .expect("a first line");
    let base = line.strip_suffix('\n').expect("a whole line");
    let port = base
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/v1/rest"))
        .unwrap_or_else(|| panic!("a base URL on 127.0.0.1: {line:?}"));
    assert!(port.parse::<u16>().is_ok_and(|p| p != 0), "{line:?}");

    // It serves: a client configured with that URL gets a token and a body.
    let client = |args: &[&str]| run(against_url(base, args), Duration::from_secs(20));
    let token = client(&["token"]);
    assert_eq!(token.code(), Some(0), "{}", token.show());
    assert!(looks_like_jwt(token.stdout.trim_end()), "{}", token.show());
    let get = client(&["get", "/accounts"]);
    assert_eq!(get.code(), Some(0), "{}", get.show());
    assert!(get.stdout.contains("\"ok\":true"), "{}", get.show());

    // SIGTERM stops it cleanly.
    #[cfg(unix)]
    {
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
    }
    #[cfg(not(unix))]
    let _ = child.kill();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the mock did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        status,
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
        elapsed: started.elapsed(),
    };
    #[cfg(unix)]
    assert_eq!(run.code(), Some(0), "{}", run.show());
    assert_eq!(run.stdout, line, "nothing but the base URL on stdout");
    assert!(run.stderr.contains("POST /auth/token"), "{}", run.show());
    assert!(!run.stderr.contains("error:"), "{}", run.show());
    let access = token.stdout.trim_end();
    for text in [&run.stderr, &get.stdout, &get.stderr, &token.stderr] {
        assert_clean("output", text, &[access], &run);
    }
}
