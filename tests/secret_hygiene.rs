//! Secret hygiene: full flows through every adapter with tracing captured
//! at TRACE (the tokio driver's included, which logs to the subscriber
//! current where the manager was built), and the Debug of every public
//! type and error along the way; none may show the API key secret, an
//! access token or a refresh token.
//! The emulator issues JWTs, which all start with `eyJ` (base64 of `{"`),
//! so any token fragment in the output is caught, not just whole tokens.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use revault_auth_mock::{Fault, MockServer, Target};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn assert_clean(what: &str, text: &str) {
    for secret in [common::SECRET, "eyJ"] {
        assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
    }
}

/// Faults on the way: a rejected refresh, an outage, a rate limit, a revoked token.
fn stormy(server: &MockServer) {
    server.push_fault(Target::Refresh, Fault::unauthorized());
    server.push_fault(Target::Both, Fault::server_error());
    server.push_fault(Target::Both, Fault::rate_limited(1));
}

#[test]
fn no_secret_in_trace_logs_debug_output_or_errors() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut shown = Vec::new();

    // tokio
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let server = MockServer::start(common::mock_config(
            Duration::from_secs(2),
            Duration::from_secs(30),
        ))
        .await
        .expect("emulator");
        let config = common::config_for(&server).build().expect("config");
        shown.push(format!("{config:?}"));
        let manager = revault_auth_tokio::TokenManager::new(config).expect("manager");
        let mut events = manager.subscribe();
        let token = manager.token_owned().await.expect("token");
        shown.push(format!("{token:?} {:?} {manager:?}", token.header_value()));
        stormy(&server);
        tokio::time::sleep(Duration::from_secs(4)).await;
        server.revoke_all();
        manager.invalidate(&token);
        let token = manager.token().await.expect("token after revocation");
        shown.push(format!("{:?}", &*token));
        while let Ok(event) = events.try_recv() {
            shown.push(format!("{event:?}"));
        }
        manager.shutdown().await;
    });
    // The driver, polled on the runtime's worker threads, logs to the
    // subscriber that was this thread's default when it was built.
    let tokio_logs = String::from_utf8(capture.0.lock().expect("capture").clone()).expect("utf8");
    for line in ["sending token request", "status=500", "status=401"] {
        assert!(tokio_logs.contains(line), "no {line:?} in {tokio_logs}");
    }

    // ureq (blocking)
    let server = MockServer::start_background(common::mock_config(
        Duration::from_secs(2),
        Duration::from_secs(30),
    ))
    .expect("emulator");
    let manager = revault_auth_ureq::BlockingTokenManager::new(
        common::config_for(&server).build().expect("config"),
    )
    .expect("manager");
    let token = manager.token().expect("token");
    shown.push(format!("{:?} {manager:?}", &*token));
    stormy(&server);
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(500));
        shown.push(format!("{:?}", manager.token().map(|t| t.generation())));
    }

    // async-std
    async_std::task::block_on(async {
        let manager = revault_auth_async_std::TokenManager::new(
            common::config_for(&server).build().expect("config"),
        )
        .expect("manager");
        let token = manager.token().await.expect("token");
        shown.push(format!("{:?} {manager:?}", &*token));
        manager.shutdown().await;
    });

    // Errors: wrong secret (terminal) and an unreachable server (transient).
    let wrong = revault_auth_core::Config::builder(
        server.base_url(),
        common::WORKSPACE,
        common::KEY_ID,
        revault_auth_core::ApiKeySecret::new("wrong-secret-eyJ-lookalike"),
    )
    .build()
    .expect("config");
    let error = revault_auth_ureq::BlockingTokenManager::new(wrong)
        .expect("manager")
        .token()
        .map(|_| ())
        .expect_err("rejected");
    shown.push(format!("{error} {error:?}"));

    let logs = String::from_utf8(capture.0.lock().expect("capture").clone()).expect("utf8");
    assert!(logs.len() > 500, "tracing captured the flows: {logs}");
    assert_clean("tracing output", &logs);
    for text in &shown {
        assert_clean("Debug/Display output", text);
    }
}
