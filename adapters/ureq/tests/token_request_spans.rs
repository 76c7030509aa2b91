//! Each token request runs in a `revault_auth::request` span named
//! `token_request` with its purpose, attempt, request id, outcome and
//! duration; no field holds a secret.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_mock::{Fault, MockConfig, MockServer, Target};
use revault_auth_ureq::BlockingTokenManager;
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// Every `token_request` span's fields, as `name=value` text, in order.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(Id, String)>>>);

struct Text<'a>(&'a mut String);

impl tracing::field::Visit for Text<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let meta = attrs.metadata();
        if meta.name() != "token_request" || meta.target() != "revault_auth::request" {
            return;
        }
        let mut text = String::new();
        attrs.record(&mut Text(&mut text));
        let mut spans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        spans.push((id.clone(), text));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, text)) = spans.iter_mut().find(|(span, _)| span == id) {
            values.record(&mut Text(text));
        }
    }
}

#[test]
fn each_token_request_has_a_span_with_its_attempt_and_outcome() {
    let server = MockServer::start_background(MockConfig::default()).expect("emulator");
    server.push_fault(Target::Token, Fault::status(503));
    let mock = server.config().clone();
    let secret = mock.api_key_secret.clone();
    let config = Config::builder(
        server.base_url(),
        mock.workspace,
        mock.api_key_id,
        ApiKeySecret::new(mock.api_key_secret),
    )
    .tune(|policy| {
        policy.backoff_base = Duration::from_millis(10);
        policy.backoff_cap = Duration::from_millis(20);
    })
    .build()
    .expect("config");
    let spans = Spans::default();
    let subscriber = Registry::default().with(spans.clone());
    let token = tracing::subscriber::with_default(subscriber, || {
        let manager = BlockingTokenManager::new(config).expect("manager");
        manager.token_owned().expect("token")
    });

    let spans: Vec<String> = spans
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    for (span, (attempt, outcome)) in spans.iter().zip([(1, "503"), (2, "200")]) {
        assert!(span.contains("purpose=Authenticate"), "{span}");
        assert!(span.contains(&format!("attempt={attempt}")), "{span}");
        assert!(span.contains("request_id="), "{span}");
        assert!(
            span.contains(&format!("outcome=\"HTTP {outcome}\"")),
            "{span}"
        );
        assert!(span.contains("duration_ms="), "{span}");
        assert!(!span.contains(&secret), "{span}");
        let jwt = token.secret().expose_secret();
        assert!(!span.contains(jwt), "{span}");
    }
    // The oracle: the emulator saw the two requests.
    assert_eq!(server.token_requests(), 2);
}
