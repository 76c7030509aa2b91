//! Shared by the `cli_*` tests: run the real `revault-auth` binary with a
//! clean environment and a time limit, and check its output for secrets.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

use revault_auth_core::{AccessTokenSecret, RefreshToken, SAVED_FORMAT, SavedTokens};
use revault_auth_mock::MockServer;
use revault_auth_store::{FileStore, SessionKey, TokenStore};

use crate::common::{KEY_ID, SECRET, WORKSPACE};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_revault-auth");

/// What a run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Both streams, for messages.
    pub fn show(&self) -> String {
        format!(
            "exit {:?} after {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code(),
            self.elapsed,
            self.stdout,
            self.stderr
        )
    }
}

/// `revault-auth ARGS` with none of the configuration variables set.
pub fn bare(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for name in [
        "REVAULT_API_URL",
        "REVAULT_WORKSPACE",
        "REVAULT_API_KEY_ID",
        "REVAULT_API_KEY_SECRET",
        "REVAULT_API_KEY_SECRET_FILE",
        "RUST_LOG",
        "REVAULT_REDIS_PASSWORD_FILE",
    ] {
        command.env_remove(name);
    }
    command
}

/// `revault-auth ARGS` configured through the environment for `server`.
pub fn against(server: &MockServer, args: &[&str]) -> Command {
    against_url(&server.base_url(), args)
}

/// `revault-auth ARGS` configured through the environment for the server
/// at `base_url`.
pub fn against_url(base_url: &str, args: &[&str]) -> Command {
    let mut command = bare(args);
    command
        .env("REVAULT_API_URL", base_url)
        .env("REVAULT_WORKSPACE", WORKSPACE)
        .env("REVAULT_API_KEY_ID", KEY_ID)
        .env("REVAULT_API_KEY_SECRET", SECRET);
    command
}

/// The token a run printed: exit 0, a JWT and a newline on stdout.
pub fn printed_token(run: &Run) -> String {
    assert_eq!(run.code(), Some(0), "{}", run.show());
    let token = run
        .stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("a newline after the token\n{}", run.show()));
    assert!(looks_like_jwt(token), "{}", run.show());
    token.to_owned()
}

/// An emulator issuing 60 s access tokens and 120 s refresh tokens.
pub fn emulator() -> MockServer {
    MockServer::start_background(crate::common::mock_config(
        Duration::from_secs(60),
        Duration::from_secs(120),
    ))
    .expect("emulator")
}

/// Runs `command` to the end, feeding it `stdin`, killing it after `limit`.
pub fn run_with_input(mut command: Command, stdin: &[u8], limit: Duration) -> Run {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    finish(child, started, limit)
}

/// Runs `command` to the end with an empty stdin, killing it after `limit`.
pub fn run(command: Command, limit: Duration) -> Run {
    run_with_input(command, b"", limit)
}

/// Collects a started child's output, killing it after `limit`.
pub fn finish(mut child: Child, started: Instant, limit: Duration) -> Run {
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the binary ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        elapsed: started.elapsed(),
    }
}

fn reader(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stream) = stream {
            let mut bytes = Vec::new();
            let _ = stream.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// Every JWT (`eyJ...`) starts with the base64 of `{"`: none may appear
/// anywhere but where a test expects one, and neither may the API key
/// secret or any of `extra` (refresh tokens a test knows).
pub fn assert_no_secrets(run: &Run, extra: &[&str]) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert_clean(name, text, extra, run);
    }
}

/// Like [`assert_no_secrets`] for one text.
pub fn assert_clean(name: &str, text: &str, extra: &[&str], run: &Run) {
    assert!(
        !text.contains(SECRET),
        "the API key secret in {name}\n{}",
        run.show()
    );
    assert!(!text.contains("eyJ"), "a token in {name}\n{}", run.show());
    for secret in extra {
        assert!(!text.contains(secret), "a secret in {name}\n{}", run.show());
    }
}

/// The single `error:` line a failing run must print, and nothing else.
pub fn error_line(run: &Run) -> &str {
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one stderr line expected\n{}", run.show());
    assert!(lines[0].starts_with("error: "), "{}", run.show());
    lines[0]
}

/// Three base64url segments separated by dots.
pub fn looks_like_jwt(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// No request of any kind reached `server`.
pub fn assert_no_traffic(server: &MockServer) {
    assert_eq!(server.token_requests(), 0, "token requests");
    assert_eq!(server.refresh_requests(), 0, "refresh requests");
    assert_eq!(server.protected_requests(), 0, "protected requests");
}

/// What another process sharing a token cache does: a fresh pair from
/// `server` (signed without a request, so the emulator's log shows only the
/// binary's requests), saved to `store` the way a manager saves it: usable
/// until 90 % of its life, its refresh point `refresh_at` of the way in (a
/// manager's is about 0.8). Returns the version saved.
pub fn save_issued_pair(
    server: &MockServer,
    store: &FileStore,
    expected: Option<u64>,
    refresh_at: f64,
) -> u64 {
    let issued = server
        .issue_tokens(WORKSPACE, KEY_ID)
        .expect("the emulator signs a pair");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    let life = (issued.expires_in_seconds * 1000.0) as u64;
    let tokens = SavedTokens {
        format: SAVED_FORMAT,
        version: 0,
        workspace: WORKSPACE.to_owned(),
        api_key_id: KEY_ID.to_owned(),
        access_token: AccessTokenSecret::new(issued.access_token),
        access_expires_at_unix_ms: now + life,
        access_usable_until_unix_ms: now + life * 9 / 10,
        access_refresh_at_unix_ms: now + (life as f64 * refresh_at) as u64,
        refresh_token: Some(RefreshToken::new(issued.refresh_token)),
        refresh_usable_until_unix_ms: now + (issued.refresh_expires_in_seconds * 900.0) as u64,
        saved_at_unix_ms: now,
    };
    store
        .save(
            &SessionKey::new(server.base_url(), WORKSPACE, KEY_ID),
            &tokens,
            expected,
        )
        .expect("the other process saves")
}
