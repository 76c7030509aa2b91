//! With the `metrics` feature, a flow (an outage, a rate limit, a refresh,
//! a revoked token, a rejected API key) shows up in the documented counters
//! and histograms, and no metric carries a secret.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{SECRET, auth_requests, config, hyper_client, manager, server};
use http_body_util::Full;
use metrics::{
    Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use revault_auth_middleware::{AuthLayer, Event, NoRetry, metrics::record_events};
use revault_auth_mock::{Fault, Target};
use revault_auth_tokio::TokenManager;
use tower::{ServiceBuilder, ServiceExt};

/// A recorder that keeps everything, keyed `name{label=value,...}`.
#[derive(Default)]
struct Keep {
    counters: Mutex<HashMap<String, Arc<AtomicU64>>>,
    histograms: Mutex<HashMap<String, Arc<Samples>>>,
    described: Mutex<Vec<(String, Option<Unit>)>>,
}

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().expect("lock").push(value);
    }
}

fn name(key: &Key) -> String {
    let mut labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    labels.sort();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

impl Recorder for Keep {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        let entry = (key.as_str().to_owned(), unit);
        self.described.lock().expect("lock").push(entry);
    }
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {
        panic!("no gauges");
    }
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        let entry = (key.as_str().to_owned(), unit);
        self.described.lock().expect("lock").push(entry);
    }
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut counters = self.counters.lock().expect("lock");
        Counter::from_arc(Arc::clone(counters.entry(name(key)).or_default()))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        panic!("no gauges");
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let mut histograms = self.histograms.lock().expect("lock");
        Histogram::from_arc(Arc::clone(histograms.entry(name(key)).or_default()))
    }
}

impl Keep {
    fn counter(&self, key: &str) -> u64 {
        let counters = self.counters.lock().expect("lock");
        counters.get(key).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    fn samples(&self, key: &str) -> Vec<f64> {
        let histograms = self.histograms.lock().expect("lock");
        histograms
            .get(key)
            .map(|h| h.0.lock().expect("lock").clone())
            .unwrap_or_default()
    }

    fn keys(&self) -> Vec<String> {
        let counters = self.counters.lock().expect("lock");
        let histograms = self.histograms.lock().expect("lock");
        counters.keys().chain(histograms.keys()).cloned().collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_401s_become_the_documented_metrics() {
    let recorder: &'static Keep = Box::leak(Box::default());
    metrics::set_global_recorder(recorder).expect("the only recorder in this test binary");
    revault_auth_middleware::metrics::describe();

    let server = server(Duration::from_secs(2), Duration::from_secs(60)).await;
    // The first token request meets an outage, the second a rate limit.
    server.push_fault(Target::Token, Fault::status(503));
    server.push_fault(Target::Token, Fault::rate_limited(1));
    let manager = manager(&server);
    tokio::spawn(record_events(manager.subscribe()));
    let mut events = manager.subscribe();

    let retrying = ServiceBuilder::new()
        .layer(AuthLayer::new(manager.clone()))
        .service(hyper_client::<Full<Bytes>>());
    let not_retrying = ServiceBuilder::new()
        .layer(AuthLayer::new(manager.clone()).replay_policy(NoRetry))
        .service(hyper_client::<Full<Bytes>>());
    let post = |path: &str| {
        http::Request::post(server.url(path))
            .body(Full::new(Bytes::from_static(b"{}")))
            .expect("request")
    };

    let response = retrying.clone().oneshot(post("/a")).await.expect("call");
    assert_eq!(response.status(), 200);
    // The 2 s token is refreshed in the background at 75-80 % of its life.
    let refreshed = async { while !matches!(events.recv().await, Ok(Event::Refreshed { .. })) {} };
    tokio::time::timeout(Duration::from_secs(5), refreshed)
        .await
        .expect("a background refresh");
    // Once the new token is served (the event comes just before), revoke
    // it: one retried 401, then one returned as it is.
    while manager.try_token().map(|t| t.generation().get()) != Some(2) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.revoke_all();
    let response = retrying.clone().oneshot(post("/b")).await.expect("call");
    assert_eq!(response.status(), 200);
    server.revoke_all();
    let response = not_retrying
        .clone()
        .oneshot(post("/c"))
        .await
        .expect("call");
    assert_eq!(response.status(), 401);
    // A second manager whose API key is rejected.
    let rejected = TokenManager::new(config(&server, "mw-wrong-secret-17b0")).expect("runtime");
    tokio::spawn(record_events(rejected.subscribe()));
    rejected.token().await.expect_err("rejected");

    let seen = recorder;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !(seen.counter(
        "revault_auth_failures_total{class=credentials_rejected,error=credentials_rejected}",
    ) == 1
        && seen.counter("revault_auth_tokens_total{kind=refreshed}") >= 3
        && seen.counter("revault_auth_expired_total{cause=rejected}") >= 2)
    {
        assert!(
            Instant::now() < deadline,
            "metrics missing: {:?}",
            seen.keys()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    assert_eq!(
        seen.counter("revault_auth_tokens_total{kind=authenticated}"),
        1
    );
    assert_eq!(
        seen.counter("revault_auth_retries_total{class=transient,error=server}"),
        1
    );
    assert_eq!(
        seen.counter("revault_auth_rate_limited_total{status=429}"),
        1
    );
    assert_eq!(
        seen.counter("revault_auth_unauthorized_total{outcome=retried}"),
        1
    );
    assert_eq!(
        seen.counter("revault_auth_unauthorized_total{outcome=not_replayable}"),
        1
    );
    assert_eq!(
        seen.counter("revault_auth_unauthorized_total{outcome=retry_rejected}"),
        0
    );
    let requests = auth_requests(&server) as u64;
    let tokens: u64 = ["authenticated", "refreshed", "reauthenticated"]
        .iter()
        .map(|kind| seen.counter(&format!("revault_auth_tokens_total{{kind={kind}}}")))
        .sum();
    assert!(
        tokens >= 4 && tokens <= requests,
        "{tokens} tokens, {requests} requests"
    );
    let lifetimes = seen.samples("revault_auth_token_lifetime_seconds{}");
    assert!(lifetimes.len() as u64 == tokens, "{lifetimes:?}");
    assert!(
        lifetimes.iter().all(|s| (s - 2.0).abs() < 0.01),
        "{lifetimes:?}"
    );
    let latencies: usize = seen
        .keys()
        .iter()
        .filter(|key| key.starts_with("revault_auth_request_duration_seconds{"))
        .map(|key| seen.samples(key).len())
        .sum();
    assert!(
        latencies as u64 >= tokens,
        "{latencies} latencies, {tokens} tokens"
    );
    let margins = seen.samples("revault_auth_time_left_at_refresh_seconds{}");
    assert!(
        !margins.is_empty() && margins.iter().all(|left| (0.0..=2.0).contains(left)),
        "{margins:?}"
    );
    let refresh_lifetimes = seen.samples("revault_auth_refresh_token_lifetime_seconds{}");
    assert!(refresh_lifetimes.iter().all(|s| (s - 60.0).abs() < 0.01));
    // One 500, plus a slow-down for each token rejected right after the
    // previous one (the core's guard against a refresh per failing call).
    let back_to_back =
        seen.counter("revault_auth_retries_total{class=transient,error=tokens_rejected}");
    assert_eq!(
        seen.samples("revault_auth_retry_delay_seconds{}").len() as u64,
        1 + back_to_back
    );
    let waited = seen.samples("revault_auth_rate_limit_delay_seconds{}");
    assert!(
        waited.len() == 1 && (waited[0] - 1.0).abs() < 0.01,
        "{waited:?}"
    );

    // Every metric used is described, with a unit.
    let described = seen.described.lock().expect("lock").clone();
    for key in seen.keys() {
        let metric = key.split('{').next().expect("name");
        assert!(
            described
                .iter()
                .any(|(name, unit)| name == metric && unit.is_some()),
            "{metric} is not described"
        );
    }

    // Nothing secret in any name or label.
    let token = manager.token_owned().await.expect("token");
    for key in &seen.keys() {
        assert!(
            !key.contains(SECRET) && !key.contains("mw-wrong-secret"),
            "{key}"
        );
        assert!(!key.contains(token.secret().expose_secret()), "{key}");
        assert!(!key.contains("eyJ"), "a JWT in {key}");
    }
}
