//! `revault-auth demo`: the emulator and a client in one process, with 3 s
//! access tokens and injected faults, shown as a live timeline. Every stage
//! it announces is checked against the client's events and the emulator's
//! request log, so the demo cannot succeed without it happening.
//!
//! This file is the list of scenes, one function per stage; the runner that
//! plays them and the checks they share are in `demo/runner.rs`, the
//! timeline in `demo/ui.rs`.

mod runner;
mod ui;

use std::time::{Duration, Instant};

use clap::Args;
use revault_auth::core::{ExpiryCause, ReauthReason};
use revault_auth::tokio::TokenManager;
use revault_auth::{ApiKeySecret, AuthError, Config, Event};
use revault_auth_mock::{Endpoint, Fault, MockConfig, MockServer, Target};

use crate::failure::Failure;
use crate::settings::token_failure;
use runner::{Check, Demo, REFRESHED, STAGE_TIMEOUT, Stage, ensure, generation_of};

const ACCESS_TTL: Duration = Duration::from_secs(3);
const REFRESH_TTL: Duration = Duration::from_secs(30);
const REFRESH_AT: f64 = 0.5;
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// The `Retry-After` of the injected 429.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The stages, in the order they play.
const STAGES: [Stage; 8] = [
    Stage {
        name: "authenticate",
        what: "the first demand for a token sends POST /auth/token with the API key",
        scene: |demo| Box::pin(authenticate(demo)),
    },
    Stage {
        name: "refresh",
        what: "at about half of the token's life, before it expires, the refresh token buys a new pair",
        scene: |demo| Box::pin(refresh(demo)),
    },
    Stage {
        name: "rotation",
        what: "refresh tokens are single-use: the next refresh must use the one the last refresh returned",
        scene: |demo| Box::pin(rotation(demo)),
    },
    Stage {
        name: "transient failure and backoff",
        what: "injected: the next answer is a 502, the one after a connection closed without answer",
        scene: |demo| Box::pin(transient_failure(demo)),
    },
    Stage {
        name: "rate limit",
        what: "injected: the next answer is a 429 with Retry-After: 1; the client waits as asked",
        scene: |demo| Box::pin(rate_limit(demo)),
    },
    Stage {
        name: "re-authentication",
        what: "the emulator revokes every refresh token: the next refresh is refused with 401",
        scene: |demo| Box::pin(reauthentication(demo)),
    },
    Stage {
        name: "revocation",
        what: "the emulator revokes every access token: a call with the current one gets 401",
        scene: |demo| Box::pin(revocation(demo)),
    },
    Stage {
        name: "steady state",
        what: "faults are over: the next refresh is an ordinary one",
        scene: |demo| Box::pin(steady_state(demo)),
    },
];

/// Runs the emulator and a client with short lifetimes and faults.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {}

pub(crate) async fn run(_args: DemoArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let server = MockServer::start(MockConfig::default().with_ttls(ACCESS_TTL, REFRESH_TTL))
        .await
        .map_err(|error| Failure::other(format!("cannot start the emulator: {error}")))?;
    let mock = server.config();
    let config = Config::builder(
        server.base_url(),
        mock.workspace.clone(),
        mock.api_key_id.clone(),
        ApiKeySecret::new(mock.api_key_secret.clone()),
    )
    .tune(|policy| {
        policy.refresh_at = REFRESH_AT;
        policy.backoff_base = BACKOFF_BASE;
        policy.backoff_cap = Duration::from_secs(2);
        policy.request_timeout = Duration::from_secs(2);
    })
    .build()
    .map_err(Failure::other)?;
    let manager = TokenManager::new(config)
        .map_err(token_failure)?
        .wait_timeout(STAGE_TIMEOUT);
    // The emulator is on loopback: never through a proxy.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|_| Failure::other("cannot build the HTTP client"))?;
    let mut demo = Demo::new(started, manager, server, client);

    intro(&demo);
    let outcome = demo.play(&STAGES).await;
    demo.summary(STAGES.len(), outcome.as_ref().err());
    demo.stop().await;
    outcome.map_err(|failed| {
        Failure::other(format!(
            "demo stage {} ({}) did not happen: {}",
            failed.number, failed.name, failed.reason
        ))
    })
}

fn intro(demo: &Demo) {
    demo.plain("revault-auth demo: the emulator and a client in one process");
    demo.plain(&format!(
        "  emulator  {} (access tokens live {} s, refresh tokens {} s)",
        demo.server.base_url(),
        ACCESS_TTL.as_secs(),
        REFRESH_TTL.as_secs()
    ));
    demo.plain(&format!(
        "  client    refreshes at ~{:.0}% of a token's life, backs off from {} ms",
        REFRESH_AT * 100.0,
        BACKOFF_BASE.as_millis()
    ));
    demo.plain("");
}

async fn authenticate(demo: &mut Demo) -> Check {
    let token = demo.demand_token("the first token").await?;
    let generation = token.generation().get();
    let event = demo
        .expect("the first token", |e| {
            matches!(e, Event::Authenticated { .. })
        })
        .await?;
    ensure(generation_of(&event) == Some(generation), || {
        "the token served is not the one announced".to_owned()
    })?;
    demo.log_is(&[(Endpoint::Token, Some(200), false)])?;
    Ok(format!(
        "the emulator answered one POST /auth/token with 200; token #{generation} is served"
    ))
}

async fn refresh(demo: &mut Demo) -> Check {
    let generation = demo.ordinary_refresh("the refresh").await?;
    Ok(format!(
        "POST /auth/token/refresh answered 200 before token #{} expired; token #{generation} is served",
        generation.saturating_sub(1)
    ))
}

async fn rotation(demo: &mut Demo) -> Check {
    demo.ordinary_refresh("the next refresh").await?;
    let log = demo.server.log();
    let refreshes = log
        .iter()
        .filter(|r| r.endpoint == Endpoint::Refresh && r.status == Some(200));
    let authentications = log.iter().filter(|r| r.endpoint == Endpoint::Token);
    let (refreshes, authentications) = (refreshes.count(), authentications.count());
    ensure(refreshes == 2 && authentications == 1, || {
        format!(
            "expected 2 accepted refreshes and 1 authentication, the emulator saw {refreshes} and {authentications}"
        )
    })?;
    Ok(
        "2 refreshes accepted by an emulator that takes each refresh token once: \
         each used the one the previous answer carried; the API key was used only once"
            .to_owned(),
    )
}

async fn transient_failure(demo: &mut Demo) -> Check {
    demo.server.push_fault(Target::Both, Fault::status(502));
    demo.server
        .push_fault(Target::Both, Fault::close_connection());
    let generation = demo
        .reauthenticated(
            "the next refresh (it will fail)",
            ReauthReason::RefreshTokenSpent,
        )
        .await?;
    let delays = demo.retry_delays();
    ensure(
        delays.len() == 2 && delays.iter().all(|delay| *delay >= BACKOFF_BASE),
        || format!("expected 2 retries after backing off, saw delays {delays:?}"),
    )?;
    demo.log_is(&[
        (Endpoint::Refresh, Some(502), true),
        (Endpoint::Token, None, true),
        (Endpoint::Token, Some(200), false),
    ])?;
    ensure(demo.server.pending_faults() == 0, || {
        "an injected fault was never used".to_owned()
    })?;
    demo.served(generation).await?;
    Ok(format!(
        "502, then a dropped connection, each followed by a backoff ({} ms, {} ms); the \
         refresh token had gone out with the 502, so the client used the API key: token #{generation}",
        delays.first().map_or(0, Duration::as_millis),
        delays.get(1).map_or(0, Duration::as_millis),
    ))
}

async fn rate_limit(demo: &mut Demo) -> Check {
    demo.server
        .push_fault(Target::Both, Fault::rate_limited(RETRY_AFTER.as_secs()));
    let generation = demo
        .reauthenticated(
            "the next refresh (it will be rate limited)",
            ReauthReason::RefreshTokenSpent,
        )
        .await?;
    let asked = demo.reported(
        |e| matches!(e, Event::RateLimited { status: 429, delay } if *delay == RETRY_AFTER),
    );
    ensure(asked, || {
        format!(
            "the client did not report waiting {} s for a 429",
            RETRY_AFTER.as_secs()
        )
    })?;
    demo.log_is(&[
        (Endpoint::Refresh, Some(429), true),
        (Endpoint::Token, Some(200), false),
    ])?;
    let waited = match demo.stage_log().as_slice() {
        [limited, next] => next.at.saturating_duration_since(limited.at),
        _ => Duration::ZERO,
    };
    ensure(waited >= RETRY_AFTER, || {
        format!(
            "the next request came {} ms after the 429, not after {} s",
            waited.as_millis(),
            RETRY_AFTER.as_secs()
        )
    })?;
    demo.served(generation).await?;
    Ok(format!(
        "the next request came {} ms after the 429; the refresh token had gone out with it, \
         so the client used the API key: token #{generation}",
        waited.as_millis()
    ))
}

async fn reauthentication(demo: &mut Demo) -> Check {
    demo.server.revoke_refresh_tokens();
    let generation = demo
        .reauthenticated(
            "the next refresh (it will be refused)",
            ReauthReason::RefreshRejected,
        )
        .await?;
    let refused = demo.reported(|e| {
        matches!(
            e,
            Event::RetryScheduled {
                error: AuthError::RefreshRejected { status: 401, .. },
                ..
            }
        )
    });
    ensure(refused, || {
        "the client did not report the refused refresh".to_owned()
    })?;
    demo.log_is(&[
        (Endpoint::Refresh, Some(401), false),
        (Endpoint::Token, Some(200), false),
    ])?;
    demo.served(generation).await?;
    Ok(format!(
        "refresh refused with 401, then at once one POST /auth/token with the API key: token #{generation}"
    ))
}

async fn revocation(demo: &mut Demo) -> Check {
    let calls_before = demo.server.protected_requests();
    let old = demo.demand_token("the current token").await?;
    demo.server.revoke_all();
    let status = demo.call(&old).await?;
    ensure(status == 401, || {
        format!("the revoked token was answered {status}, not 401")
    })?;
    demo.say(
        "client",
        &format!(
            "reports the 401 for token #{}: it is withdrawn at once",
            old.generation().get()
        ),
    );
    ensure(demo.manager.invalidate(&old), || {
        "reporting the 401 did not withdraw the token".to_owned()
    })?;
    let fresh = demo.demand_token("a new token").await?;
    let wanted = fresh.generation().get();
    demo.expect("the new token", |e| generation_of(e) == Some(wanted))
        .await?;
    let withdrawn = demo.reported(|e| {
        matches!(e, Event::Expired { generation, cause: ExpiryCause::Rejected } if *generation == old.generation())
    });
    ensure(withdrawn, || {
        "the client did not withdraw the rejected token".to_owned()
    })?;
    let status = demo.call(&fresh).await?;
    ensure(status == 200, || {
        format!("the new token was answered {status}, not 200")
    })?;
    demo.log_is(&[REFRESHED])?;
    let calls = demo
        .server
        .protected_requests()
        .saturating_sub(calls_before);
    ensure(calls == 2, || {
        format!("expected 2 calls to the API, the emulator saw {calls}")
    })?;
    Ok(format!(
        "token #{} got 401, was withdrawn and replaced by a refresh; token #{wanted} got 200",
        old.generation().get()
    ))
}

async fn steady_state(demo: &mut Demo) -> Check {
    let generation = demo.ordinary_refresh("the next refresh").await?;
    Ok(format!("one refresh, answered 200: token #{generation}"))
}
