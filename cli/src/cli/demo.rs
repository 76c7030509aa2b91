//! `revault-auth demo`: the emulator and a client in one process, with 3 s
//! access tokens and injected faults, shown as a live timeline. Every stage
//! it announces is checked against the client's events and the emulator's
//! request log, so the demo cannot succeed without it happening.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use clap::Args;
use reqwest::header::AUTHORIZATION;
use revault_auth::core::{ExpiryCause, ReauthReason};
use revault_auth::tokio::TokenManager;
use revault_auth::{AccessToken, ApiKeySecret, AuthError, Config, Event};
use revault_auth_mock::{Endpoint, Fault, LoggedRequest, MockConfig, MockServer, Target};
use tokio::sync::broadcast::{self, error::RecvError};

use super::mock::{LogCursor, request_outcome};
use super::settings::token_failure;
use super::{Failure, events};

const ACCESS_TTL: Duration = Duration::from_secs(3);
const REFRESH_TTL: Duration = Duration::from_secs(30);
const REFRESH_AT: f64 = 0.5;
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// The `Retry-After` of the injected 429.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Longest wait for any one stage: the demo always ends.
const STAGE_TIMEOUT: Duration = Duration::from_secs(8);

/// The stages, in order: name and what is about to happen.
const STAGES: [(&str, &str); 8] = [
    (
        "authenticate",
        "the first demand for a token sends POST /auth/token with the API key",
    ),
    (
        "refresh",
        "at about half of the token's life, before it expires, the refresh token buys a new pair",
    ),
    (
        "rotation",
        "refresh tokens are single-use: the next refresh must use the one the last refresh returned",
    ),
    (
        "transient failure and backoff",
        "injected: the next answer is a 502, the one after a connection closed without answer",
    ),
    (
        "rate limit",
        "injected: the next answer is a 429 with Retry-After: 1; the client waits as asked",
    ),
    (
        "re-authentication",
        "the emulator revokes every refresh token: the next refresh is refused with 401",
    ),
    (
        "revocation",
        "the emulator revokes every access token: a call with the current one gets 401",
    ),
    (
        "steady state",
        "faults are over: the next refresh is an ordinary one",
    ),
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
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| Failure::other("cannot build the HTTP client"))?;
    let mut demo = Demo {
        ui: Ui::new(started),
        receiver: manager.subscribe(),
        manager,
        server,
        client,
        shown: LogCursor::default(),
        stage_events: Vec::new(),
        tally: Tally::default(),
    };

    demo.intro();
    let outcome = demo.run_stages().await;
    demo.summary(outcome.as_ref().err());
    let Demo {
        ui,
        manager,
        server,
        ..
    } = demo;
    drop(ui);
    manager.shutdown().await;
    server.stop().await;
    outcome.map_err(|failed| {
        Failure::other(format!(
            "demo stage {} ({}) did not happen: {}",
            failed.number, failed.name, failed.reason
        ))
    })
}

/// A stage that did not happen.
#[derive(Debug)]
struct StageFailed {
    number: usize,
    name: &'static str,
    reason: String,
}

/// What the client reported over the whole demo.
#[derive(Debug, Default)]
struct Tally {
    authenticated: usize,
    refreshed: usize,
    reauthenticated: usize,
    retries: usize,
    rate_limited: usize,
    withdrawn: usize,
    stages_passed: usize,
}

#[derive(Debug)]
struct Demo {
    ui: Ui,
    manager: TokenManager,
    receiver: broadcast::Receiver<Event>,
    server: MockServer,
    client: reqwest::Client,
    /// Entries of the emulator's log already shown.
    shown: LogCursor,
    /// The client's events since the current stage began.
    stage_events: Vec<Event>,
    tally: Tally,
}

type Check = Result<String, String>;

impl Demo {
    fn intro(&self) {
        let policy_note = format!(
            "refreshes at ~{:.0}% of a token's life, backs off from {} ms",
            REFRESH_AT * 100.0,
            BACKOFF_BASE.as_millis()
        );
        self.ui
            .plain("revault-auth demo: the emulator and a client in one process");
        self.ui.plain(&format!(
            "  emulator  {} (access tokens live {} s, refresh tokens {} s)",
            self.server.base_url(),
            ACCESS_TTL.as_secs(),
            REFRESH_TTL.as_secs()
        ));
        self.ui.plain(&format!("  client    {policy_note}"));
        self.ui.plain("");
    }

    async fn run_stages(&mut self) -> Result<(), StageFailed> {
        for (index, (name, what)) in STAGES.iter().enumerate() {
            let number = index + 1;
            self.ui.stage(number, STAGES.len(), name, what);
            self.stage_events.clear();
            let mark = self.server.log().len();
            let protected = self.server.protected_requests();
            let result = match number {
                1 => self.authenticate(mark).await,
                2 => self.refresh(mark).await,
                3 => self.rotation(mark).await,
                4 => self.transient_failure(mark).await,
                5 => self.rate_limit(mark).await,
                6 => self.reauthentication(mark).await,
                7 => self.revocation(mark, protected).await,
                _ => self.steady_state(mark).await,
            };
            self.flush_log();
            match result {
                Ok(proof) => {
                    self.tally.stages_passed += 1;
                    self.ui.say("ok", &proof);
                }
                Err(reason) => {
                    self.ui.say("FAILED", &reason);
                    return Err(StageFailed {
                        number,
                        name,
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    async fn authenticate(&mut self, mark: usize) -> Check {
        self.ui.waiting(Some("waiting for the first token"));
        let token = self.manager.token_owned().await;
        self.ui.waiting(None);
        let token = token.map_err(|error| format!("no token: {error}"))?;
        let event = self
            .expect("the first token", |e| {
                matches!(e, Event::Authenticated { .. })
            })
            .await?;
        if generation_of(&event) != Some(token.generation().get()) {
            return Err("the token served is not the one announced".to_owned());
        }
        self.log_is(mark, &[(Endpoint::Token, Some(200), false)])?;
        Ok(format!(
            "the emulator answered one POST /auth/token with 200; token #{} is served",
            token.generation().get()
        ))
    }

    async fn refresh(&mut self, mark: usize) -> Check {
        let event = self
            .expect("the refresh", |e| !matches!(e, Event::RateLimited { .. }))
            .await?;
        let Event::Refreshed { generation, .. } = event else {
            return Err(format!(
                "expected a refresh, got: {}",
                events::describe(&event)
            ));
        };
        self.log_is(mark, &[(Endpoint::Refresh, Some(200), false)])?;
        self.served(generation.get()).await?;
        Ok(format!(
            "POST /auth/token/refresh answered 200 before token #{} expired; token #{} is served",
            generation.get().saturating_sub(1),
            generation.get()
        ))
    }

    async fn rotation(&mut self, mark: usize) -> Check {
        let event = self
            .expect("the next refresh", |e| {
                !matches!(e, Event::RateLimited { .. })
            })
            .await?;
        let Event::Refreshed { generation, .. } = event else {
            return Err(format!(
                "expected a refresh, got: {}",
                events::describe(&event)
            ));
        };
        self.log_is(mark, &[(Endpoint::Refresh, Some(200), false)])?;
        let log = self.server.log();
        let refreshes = count(&log, Endpoint::Refresh, Some(200));
        let token_calls = log.iter().filter(|r| r.endpoint == Endpoint::Token).count();
        if refreshes != 2 || token_calls != 1 {
            return Err(format!(
                "expected 2 accepted refreshes and 1 authentication, the emulator saw {refreshes} and {token_calls}"
            ));
        }
        self.served(generation.get()).await?;
        Ok(
            "2 refreshes accepted by an emulator that takes each refresh token once: \
             each used the one the previous answer carried; the API key was used only once"
                .to_owned(),
        )
    }

    async fn transient_failure(&mut self, mark: usize) -> Check {
        self.server.push_fault(Target::Both, Fault::status(502));
        self.server
            .push_fault(Target::Both, Fault::close_connection());
        let event = self
            .expect("the next refresh (it will fail)", |e| {
                matches!(
                    e,
                    Event::Refreshed { .. } | Event::Reauthenticated { .. } | Event::Failed { .. }
                )
            })
            .await?;
        let Event::Reauthenticated {
            reason, generation, ..
        } = event
        else {
            return Err(format!(
                "expected a re-authentication after the failures, got: {}",
                events::describe(&event)
            ));
        };
        let delays: Vec<Duration> = self
            .stage_events
            .iter()
            .filter_map(|e| match e {
                Event::RetryScheduled { delay, .. } => Some(*delay),
                _ => None,
            })
            .collect();
        if delays.len() != 2 || delays.iter().any(|delay| *delay < BACKOFF_BASE) {
            return Err(format!(
                "expected 2 retries after backing off, saw delays {delays:?}"
            ));
        }
        if reason != ReauthReason::RefreshTokenSpent {
            return Err(format!("unexpected re-authentication reason {reason:?}"));
        }
        self.log_is(
            mark,
            &[
                (Endpoint::Refresh, Some(502), true),
                (Endpoint::Token, None, true),
                (Endpoint::Token, Some(200), false),
            ],
        )?;
        if self.server.pending_faults() != 0 {
            return Err("an injected fault was never used".to_owned());
        }
        self.served(generation.get()).await?;
        Ok(format!(
            "502, then a dropped connection, each followed by a backoff ({} ms, {} ms); the \
             refresh token had gone out with the 502, so the client used the API key: token #{}",
            delays.first().map_or(0, |d| d.as_millis()),
            delays.get(1).map_or(0, |d| d.as_millis()),
            generation.get()
        ))
    }

    async fn rate_limit(&mut self, mark: usize) -> Check {
        self.server
            .push_fault(Target::Both, Fault::rate_limited(RETRY_AFTER.as_secs()));
        let event = self
            .expect("the next refresh (it will be rate limited)", |e| {
                matches!(
                    e,
                    Event::Refreshed { .. } | Event::Reauthenticated { .. } | Event::Failed { .. }
                )
            })
            .await?;
        let Event::Reauthenticated { generation, .. } = event else {
            return Err(format!(
                "expected a re-authentication after the wait, got: {}",
                events::describe(&event)
            ));
        };
        let asked = self.stage_events.iter().any(
            |e| matches!(e, Event::RateLimited { status: 429, delay } if *delay == RETRY_AFTER),
        );
        if !asked {
            return Err(format!(
                "the client did not report waiting {} s for a 429",
                RETRY_AFTER.as_secs()
            ));
        }
        self.log_is(
            mark,
            &[
                (Endpoint::Refresh, Some(429), true),
                (Endpoint::Token, Some(200), false),
            ],
        )?;
        let log = self.server.log();
        let waited = match log.get(mark..).unwrap_or_default() {
            [limited, next] => next.at.saturating_duration_since(limited.at),
            _ => Duration::ZERO,
        };
        if waited < RETRY_AFTER {
            return Err(format!(
                "the next request came {} ms after the 429, not after {} s",
                waited.as_millis(),
                RETRY_AFTER.as_secs()
            ));
        }
        self.served(generation.get()).await?;
        Ok(format!(
            "the next request came {} ms after the 429; the refresh token had gone out with it, \
             so the client used the API key: token #{}",
            waited.as_millis(),
            generation.get()
        ))
    }

    async fn reauthentication(&mut self, mark: usize) -> Check {
        self.server.revoke_refresh_tokens();
        let event = self
            .expect("the next refresh (it will be refused)", |e| {
                matches!(
                    e,
                    Event::Refreshed { .. } | Event::Reauthenticated { .. } | Event::Failed { .. }
                )
            })
            .await?;
        let Event::Reauthenticated {
            reason, generation, ..
        } = event
        else {
            return Err(format!(
                "expected a re-authentication, got: {}",
                events::describe(&event)
            ));
        };
        if reason != ReauthReason::RefreshRejected {
            return Err(format!("unexpected re-authentication reason {reason:?}"));
        }
        let refused = self.stage_events.iter().any(|e| {
            matches!(
                e,
                Event::RetryScheduled {
                    error: AuthError::RefreshRejected { status: 401, .. },
                    ..
                }
            )
        });
        if !refused {
            return Err("the client did not report the refused refresh".to_owned());
        }
        self.log_is(
            mark,
            &[
                (Endpoint::Refresh, Some(401), false),
                (Endpoint::Token, Some(200), false),
            ],
        )?;
        self.served(generation.get()).await?;
        Ok(format!(
            "refresh refused with 401, then at once one POST /auth/token with the API key: token #{}",
            generation.get()
        ))
    }

    async fn revocation(&mut self, mark: usize, protected_before: usize) -> Check {
        let old = self
            .manager
            .token_owned()
            .await
            .map_err(|error| format!("no token: {error}"))?;
        self.server.revoke_all();
        let status = self.call(&old).await?;
        if status != 401 {
            return Err(format!("the revoked token was answered {status}, not 401"));
        }
        self.ui.say(
            "client",
            &format!(
                "reports the 401 for token #{}: it is withdrawn at once",
                old.generation().get()
            ),
        );
        if !self.manager.invalidate(&old) {
            return Err("reporting the 401 did not withdraw the token".to_owned());
        }
        self.ui.waiting(Some("waiting for a new token"));
        let fresh = self.manager.token_owned().await;
        self.ui.waiting(None);
        let fresh = fresh.map_err(|error| format!("no new token: {error}"))?;
        let wanted = fresh.generation().get();
        self.expect("the new token", |e| generation_of(e) == Some(wanted))
            .await?;
        let withdrawn = self.stage_events.iter().any(|e| {
            matches!(e, Event::Expired { generation, cause: ExpiryCause::Rejected } if *generation == old.generation())
        });
        if !withdrawn {
            return Err("the client did not withdraw the rejected token".to_owned());
        }
        let status = self.call(&fresh).await?;
        if status != 200 {
            return Err(format!("the new token was answered {status}, not 200"));
        }
        self.log_is(mark, &[(Endpoint::Refresh, Some(200), false)])?;
        let calls = self
            .server
            .protected_requests()
            .saturating_sub(protected_before);
        if calls != 2 {
            return Err(format!(
                "expected 2 calls to the API, the emulator saw {calls}"
            ));
        }
        Ok(format!(
            "token #{} got 401, was withdrawn and replaced by a refresh; token #{} got 200",
            old.generation().get(),
            wanted
        ))
    }

    async fn steady_state(&mut self, mark: usize) -> Check {
        let event = self
            .expect("the next refresh", |e| {
                !matches!(e, Event::RateLimited { .. })
            })
            .await?;
        let Event::Refreshed { generation, .. } = event else {
            return Err(format!(
                "expected a refresh, got: {}",
                events::describe(&event)
            ));
        };
        self.log_is(mark, &[(Endpoint::Refresh, Some(200), false)])?;
        self.served(generation.get()).await?;
        Ok(format!(
            "one refresh, answered 200: token #{}",
            generation.get()
        ))
    }

    /// One call to a protected resource; returns its status.
    async fn call(&self, token: &AccessToken) -> Result<u16, String> {
        let url = self.server.url("/accounts");
        let response = self
            .client
            .get(&url)
            .header(AUTHORIZATION, token.header_value().clone())
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|_| "the call to the emulator failed".to_owned())?;
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        let detail = match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(body) if status != 200 => body
                .get("message")
                .and_then(serde_json::Value::as_str)
                .map(|m| format!(" ({m})"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        self.ui.say(
            "client",
            &format!(
                "GET /v1/rest/accounts with token #{} -> {status}{detail}",
                token.generation().get()
            ),
        );
        Ok(status)
    }

    /// Waits for an event that `stop` accepts (or a terminal failure),
    /// showing the emulator's requests and every event on the way.
    async fn expect(&mut self, what: &str, stop: impl Fn(&Event) -> bool) -> Result<Event, String> {
        self.ui.waiting(Some(&format!("waiting for {what}")));
        let deadline = tokio::time::Instant::now() + STAGE_TIMEOUT;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let result = loop {
            tokio::select! {
                received = self.receiver.recv() => match received {
                    // Latency measurements: not a stage of the timeline.
                    Ok(Event::RequestFinished { .. }) => {}
                    Ok(event) => {
                        self.flush_log();
                        self.show(&event);
                        if let Event::Failed { error } = &event {
                            break Err(format!("the client failed for good: {error}"));
                        }
                        if stop(&event) {
                            break Ok(event);
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        self.ui.say("demo", &format!("({missed} events were lost)"));
                    }
                    Err(RecvError::Closed) => break Err("the client stopped".to_owned()),
                },
                _ = tick.tick() => self.flush_log(),
                () = tokio::time::sleep_until(deadline) => {
                    break Err(format!("no {what} within {} s", STAGE_TIMEOUT.as_secs()));
                }
            }
        };
        self.ui.waiting(None);
        result
    }

    fn show(&mut self, event: &Event) {
        match event {
            Event::Authenticated { .. } => self.tally.authenticated += 1,
            Event::Refreshed { .. } => self.tally.refreshed += 1,
            Event::Reauthenticated { .. } => self.tally.reauthenticated += 1,
            Event::RetryScheduled { .. } => self.tally.retries += 1,
            Event::RateLimited { .. } => self.tally.rate_limited += 1,
            Event::Expired { .. } => self.tally.withdrawn += 1,
            _ => {}
        }
        self.ui.say("client", &events::describe(event));
        self.stage_events.push(event.clone());
    }

    /// Shows the emulator's answers not shown yet.
    fn flush_log(&mut self) {
        for request in self.shown.settled(&self.server.log()) {
            self.ui
                .say_at(request.at, "emulator", &request_outcome(&request));
        }
    }

    /// The emulator's log since `mark` is exactly `expected`: endpoint,
    /// status (`None`: no answer) and whether a fault was injected.
    fn log_is(
        &self,
        mark: usize,
        expected: &[(Endpoint, Option<u16>, bool)],
    ) -> Result<(), String> {
        let log = self.server.log();
        let seen: Vec<(Endpoint, Option<u16>, bool)> = log
            .get(mark..)
            .unwrap_or_default()
            .iter()
            .map(|r| (r.endpoint, r.status, r.fault.is_some()))
            .collect();
        if seen == expected {
            Ok(())
        } else {
            let show = |list: &[(Endpoint, Option<u16>, bool)]| {
                list.iter()
                    .map(|(endpoint, status, _)| {
                        format!(
                            "{} {}",
                            endpoint.path(),
                            status.map_or("-".to_owned(), |s| s.to_string())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Err(format!(
                "the emulator saw [{}], expected [{}]",
                show(&seen),
                show(expected)
            ))
        }
    }

    /// The token served is generation `generation` (the client announces a
    /// token just before it publishes it, so allow it a moment).
    async fn served(&self, generation: u64) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_millis(500);
        loop {
            let served = self.manager.try_token().map(|t| t.generation().get());
            match served {
                Some(served) if served == generation => return Ok(()),
                _ if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Some(served) => {
                    return Err(format!("token #{served} is served, expected #{generation}"));
                }
                None => return Err(format!("no token is served, expected #{generation}")),
            }
        }
    }

    fn summary(&self, failed: Option<&StageFailed>) {
        let log = self.server.log();
        let endpoint = |endpoint: Endpoint| {
            let requests: Vec<&LoggedRequest> =
                log.iter().filter(|r| r.endpoint == endpoint).collect();
            let mut statuses: Vec<String> = Vec::new();
            let mut seen: Vec<Option<u16>> = requests.iter().map(|r| r.status).collect();
            seen.sort_unstable();
            seen.dedup();
            for status in seen {
                let n = requests.iter().filter(|r| r.status == status).count();
                let what = status.map_or("no answer".to_owned(), |s| s.to_string());
                statuses.push(format!("{n} x {what}"));
            }
            format!(
                "{} x POST {} ({})",
                requests.len(),
                endpoint.path(),
                statuses.join(", ")
            )
        };
        let tally = &self.tally;
        let tokens = tally.authenticated + tally.refreshed + tally.reauthenticated;
        self.ui.plain("");
        self.ui.plain(&format!(
            "summary after {:.1} s",
            self.ui.started.elapsed().as_secs_f64()
        ));
        self.ui.plain(&format!(
            "  emulator saw   {}, {}, {} x GET of an API resource",
            endpoint(Endpoint::Token),
            endpoint(Endpoint::Refresh),
            self.server.protected_requests()
        ));
        self.ui.plain(&format!(
            "  client got     {tokens} tokens: {} authenticated, {} refreshed, {} re-authenticated; \
             retries: {}; rate limited: {}; tokens withdrawn: {}",
            tally.authenticated,
            tally.refreshed,
            tally.reauthenticated,
            tally.retries,
            tally.rate_limited,
            tally.withdrawn
        ));
        match failed {
            None => self.ui.plain(&format!(
                "  stages         all {} happened, as checked against the emulator's log",
                STAGES.len()
            )),
            Some(failed) => self.ui.plain(&format!(
                "  stages         {} of {} happened; stage {} ({}) did not: {}",
                tally.stages_passed,
                STAGES.len(),
                failed.number,
                failed.name,
                failed.reason
            )),
        }
    }
}

fn generation_of(event: &Event) -> Option<u64> {
    match event {
        Event::Authenticated { generation, .. }
        | Event::Refreshed { generation, .. }
        | Event::Reauthenticated { generation, .. } => Some(generation.get()),
        _ => None,
    }
}

fn count(log: &[LoggedRequest], endpoint: Endpoint, status: Option<u16>) -> usize {
    log.iter()
        .filter(|r| r.endpoint == endpoint && r.status == status)
        .count()
}

/// The timeline on stdout, and a spinner on stderr while waiting when
/// stderr is a terminal.
#[derive(Debug)]
struct Ui {
    started: Instant,
    spinner: Option<(Arc<Mutex<Spinner>>, tokio::task::JoinHandle<()>)>,
}

#[derive(Debug, Default)]
struct Spinner {
    label: Option<(String, Instant)>,
    drawn: bool,
}

fn lock(spinner: &Mutex<Spinner>) -> MutexGuard<'_, Spinner> {
    spinner.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Ui {
    fn new(started: Instant) -> Self {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let state = Arc::new(Mutex::new(Spinner::default()));
            let task = tokio::spawn(spin(Arc::clone(&state)));
            (state, task)
        });
        Self { started, spinner }
    }

    /// A stage header.
    fn stage(&self, number: usize, of: usize, name: &str, what: &str) {
        self.say_at(
            Instant::now(),
            "",
            &format!("== {number}/{of} {name}: {what}"),
        );
    }

    /// `[  1.234s] who       text`, timed now.
    fn say(&self, who: &str, text: &str) {
        self.say_at(Instant::now(), who, text);
    }

    fn say_at(&self, at: Instant, who: &str, text: &str) {
        let elapsed = at.saturating_duration_since(self.started).as_secs_f64();
        let line = if who.is_empty() {
            format!("[{elapsed:>7.3}s] {text}")
        } else {
            format!("[{elapsed:>7.3}s]    {who:<9} {text}")
        };
        self.plain(&line);
    }

    /// A line on stdout, after wiping the spinner.
    fn plain(&self, line: &str) {
        let guard = self.spinner.as_ref().map(|(state, _)| lock(state));
        if let Some(mut state) = guard {
            if state.drawn {
                let mut stderr = std::io::stderr().lock();
                let _ = write!(stderr, "\r\x1b[2K").and_then(|()| stderr.flush());
                state.drawn = false;
            }
            print_line(line);
        } else {
            print_line(line);
        }
    }

    /// What the spinner says, or nothing.
    fn waiting(&self, label: Option<&str>) {
        if let Some((state, _)) = &self.spinner {
            let mut state = lock(state);
            state.label = label.map(|label| (label.to_owned(), Instant::now()));
            if label.is_none() && state.drawn {
                let mut stderr = std::io::stderr().lock();
                let _ = write!(stderr, "\r\x1b[2K").and_then(|()| stderr.flush());
                state.drawn = false;
            }
        }
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        self.waiting(None);
        if let Some((_, task)) = &self.spinner {
            task.abort();
        }
    }
}

fn print_line(line: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout must not stop the demo: its checks still decide.
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

async fn spin(state: Arc<Mutex<Spinner>>) {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for frame in FRAMES.iter().cycle() {
        tick.tick().await;
        let mut state = lock(&state);
        if let Some((label, since)) = &state.label {
            let text = format!(
                "\r\x1b[2K{frame} {label} {:.1} s",
                since.elapsed().as_secs_f64()
            );
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{text}").and_then(|()| stderr.flush());
            state.drawn = true;
        }
    }
}
