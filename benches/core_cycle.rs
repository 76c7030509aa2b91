//! What the sans-IO core costs: one authenticate + refresh cycle (request
//! building, response parsing, transitions, events), and response parsing
//! alone against the naive `serde_json::Value` approach.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::Response;
use revault_auth_core::{ApiKeySecret, AuthCore, Config, Policy, parse_grant};

/// A body shaped like revault-api's, with JWT-sized tokens.
fn grant_body(n: u32) -> Vec<u8> {
    let jwt = |kind: &str| {
        format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}",
            format!("{kind}{n:04}").repeat(60),
            "s".repeat(43)
        )
    };
    serde_json::json!({
        "accessToken": jwt("a"),
        "expiresInSeconds": 300,
        "refreshToken": jwt("r"),
        "refreshExpiresInSeconds": 1800,
    })
    .to_string()
    .into_bytes()
}

fn config() -> Config {
    Config::builder(
        "https://revault.example/v1/rest",
        "bench-workspace",
        "bench-key-id",
        ApiKeySecret::new("bench-key-secret"),
    )
    .build()
    .expect("valid")
}

fn cycle(c: &mut Criterion) {
    let config = config();
    let (first, second) = (grant_body(1), grant_body(2));
    c.bench_function("core/authenticate+refresh cycle", |b| {
        b.iter_batched(
            || {
                let now = Instant::now();
                let core = AuthCore::new(config.clone(), now);
                (
                    core,
                    now,
                    Response::new(first.clone()),
                    Response::new(second.clone()),
                )
            },
            |(mut core, now, login_answer, refresh_answer)| {
                core.start(now);
                let login = core.poll_transmit(now).expect("authenticate");
                core.handle_response(login.id, login_answer, now);
                let refresh_at = core.poll_timeout().expect("refresh timer");
                core.handle_timeout(refresh_at);
                let refresh = core.poll_transmit(refresh_at).expect("refresh");
                core.handle_response(refresh.id, refresh_answer, refresh_at);
                while let Some(event) = core.poll_event() {
                    black_box(event);
                }
                black_box(core.access_token(refresh_at).is_some())
            },
            BatchSize::SmallInput,
        );
    });
}

/// The naive way: parse into a `Value`, then pick the fields out.
fn parse_naively(body: &[u8]) -> Option<(String, f64, String, f64)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some((
        value.get("accessToken")?.as_str()?.to_owned(),
        value.get("expiresInSeconds")?.as_f64()?,
        value.get("refreshToken")?.as_str()?.to_owned(),
        value.get("refreshExpiresInSeconds")?.as_f64()?,
    ))
}

fn parsing(c: &mut Criterion) {
    let body = grant_body(7);
    let policy = Policy::default();
    let mut group = c.benchmark_group("parse");
    group.bench_function("parse_grant (typed, validated)", |b| {
        b.iter(|| parse_grant(black_box(&body), &policy).is_ok())
    });
    group.bench_function("naive serde_json::Value", |b| {
        b.iter(|| parse_naively(black_box(&body)).is_some())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = cycle, parsing
}
criterion_main!(benches);
