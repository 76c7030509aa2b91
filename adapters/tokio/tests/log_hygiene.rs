//! Everything the adapter logs (at every level) and every event it forwards,
//! through authentication, a server error, a refresh, an invalidation and a
//! shutdown, is free of secrets: no API key secret, no JWT. The background
//! task logs to the subscriber that was current when the manager was built.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use revault_auth_mock::{Fault, MockConfig, MockServer, Target};
use revault_auth_tokio::{ApiKeySecret, Config, TokenManager};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A minimal subscriber that keeps every event and span as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

impl Capture {
    fn push(&self, line: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Text(&mut line));
        self.push(line);
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = String::from("record");
        values.record(&mut Text(&mut line));
        self.push(line);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = format!("{} {}", event.metadata().level(), event.metadata().target());
        event.record(&mut Text(&mut line));
        self.push(line);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

const SECRET: &str = "log-hygiene-api-key-secret-4b7e";

#[tokio::test(flavor = "multi_thread")]
async fn nothing_logged_or_forwarded_carries_a_secret() {
    // A thread-local default: the manager's tasks, polled on other worker
    // threads, must still log to it.
    let capture = Capture::default();
    let _default = tracing::subscriber::set_default(capture.clone());

    let server = MockServer::start(
        MockConfig {
            api_key_secret: SECRET.to_owned(),
            ..MockConfig::default()
        }
        .with_ttls(Duration::from_millis(1200), Duration::from_secs(30)),
    )
    .await
    .expect("emulator");
    server.push_fault(Target::Token, Fault::server_error());
    let config = Config::builder(
        server.base_url(),
        MockConfig::DEFAULT_WORKSPACE,
        MockConfig::DEFAULT_API_KEY_ID,
        ApiKeySecret::new(SECRET),
    )
    .tune(|policy| policy.backoff_base = Duration::from_millis(20))
    .build()
    .expect("config");
    let manager = TokenManager::new(config).expect("runtime");
    let mut events = manager.subscribe();

    let mut jwts = Vec::new();
    let first = manager.token_owned().await.expect("token");
    jwts.push(first.secret().expose_secret().to_owned());
    let start = Instant::now();
    while manager.try_token().map(|t| t.generation().get()) == Some(1) {
        assert!(start.elapsed() < Duration::from_secs(3), "no refresh");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = manager.token_owned().await.expect("token");
    jwts.push(second.secret().expose_secret().to_owned());
    assert!(manager.invalidate(&second));
    let third = manager.token_owned().await.expect("token");
    jwts.push(third.secret().expose_secret().to_owned());
    assert_eq!(third.generation().get(), 3);
    manager.shutdown().await;

    let mut seen = capture.lines();
    while let Ok(event) = events.try_recv() {
        seen.push(format!("{event:?}"));
    }
    assert!(
        seen.iter().any(|l| l.contains("sending token request")),
        "the capture works: {seen:#?}"
    );
    assert!(seen.iter().any(|l| l.contains("status=500")), "{seen:#?}");
    for line in &seen {
        assert!(!line.contains(SECRET), "{line}");
        // Every JWT starts with the base64 of `{"`: access and refresh alike.
        assert!(!line.contains("eyJ"), "{line}");
        for jwt in &jwts {
            assert!(!line.contains(jwt.as_str()), "{line}");
        }
    }
}
