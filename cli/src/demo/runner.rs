//! The stage runner the demo's scenes share: it announces each stage, plays
//! its scene, shows the emulator's requests and the client's events as they
//! come, and gives the scenes the checks they make against the emulator's
//! log and the token the client serves.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use revault_auth::core::ReauthReason;
use revault_auth::tokio::TokenManager;
use revault_auth::{AccessToken, Event};
use revault_auth_mock::{Endpoint, LogCursor, LoggedRequest, MockServer};
use tokio::sync::broadcast::{self, error::RecvError};

use super::ui::Ui;
use crate::events;
use crate::mock::request_outcome;

/// Longest wait for any one stage: the demo always ends.
pub(super) const STAGE_TIMEOUT: Duration = Duration::from_secs(8);

/// What a scene proved, or why its stage did not happen.
pub(super) type Check = Result<String, String>;

/// A scene: plays one stage on the runner.
pub(super) type Scene = for<'a> fn(&'a mut Demo) -> Pin<Box<dyn Future<Output = Check> + 'a>>;

/// One stage of the demo: its name, what is about to happen, and its scene.
#[derive(Debug)]
pub(super) struct Stage {
    pub(super) name: &'static str,
    pub(super) what: &'static str,
    pub(super) scene: Scene,
}

/// A request the emulator logged: endpoint, status (`None`: no answer) and
/// whether a fault was injected.
pub(super) type Seen = (Endpoint, Option<u16>, bool);

/// One accepted refresh, nothing injected.
pub(super) const REFRESHED: Seen = (Endpoint::Refresh, Some(200), false);

/// A stage that did not happen.
#[derive(Debug)]
pub(super) struct StageFailed {
    pub(super) number: usize,
    pub(super) name: &'static str,
    pub(super) reason: String,
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

/// The emulator, the client, and what the current stage has seen so far.
#[derive(Debug)]
pub(super) struct Demo {
    ui: Ui,
    pub(super) manager: TokenManager,
    receiver: broadcast::Receiver<Event>,
    pub(super) server: MockServer,
    client: reqwest::Client,
    /// Entries of the emulator's log already shown.
    shown: LogCursor,
    /// The length of the emulator's log when the current stage began.
    mark: usize,
    /// The client's events since the current stage began.
    stage_events: Vec<Event>,
    tally: Tally,
}

/// `Err(why())` unless `holds`.
pub(super) fn ensure(holds: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if holds { Ok(()) } else { Err(why()) }
}

/// The generation of the token an event announces, if it announces one.
pub(super) fn generation_of(event: &Event) -> Option<u64> {
    match event {
        Event::Authenticated { generation, .. }
        | Event::Refreshed { generation, .. }
        | Event::Reauthenticated { generation, .. } => Some(generation.get()),
        _ => None,
    }
}

impl Demo {
    pub(super) fn new(
        started: Instant,
        manager: TokenManager,
        server: MockServer,
        client: reqwest::Client,
    ) -> Self {
        Self {
            ui: Ui::new(started),
            receiver: manager.subscribe(),
            manager,
            server,
            client,
            shown: LogCursor::default(),
            mark: 0,
            stage_events: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// A line of the timeline, untimed.
    pub(super) fn plain(&self, line: &str) {
        self.ui.plain(line);
    }

    /// A timed line of the timeline, said by `who`.
    pub(super) fn say(&self, who: &str, text: &str) {
        self.ui.say(who, text);
    }

    /// Plays the stages in order, each checked; stops at the first that did
    /// not happen.
    pub(super) async fn play(&mut self, stages: &[Stage]) -> Result<(), StageFailed> {
        for (index, stage) in stages.iter().enumerate() {
            let number = index + 1;
            self.ui.stage(number, stages.len(), stage.name, stage.what);
            self.stage_events.clear();
            self.mark = self.server.log().len();
            let result = (stage.scene)(self).await;
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
                        name: stage.name,
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// Stops the client and the emulator.
    pub(super) async fn stop(self) {
        let Self {
            ui,
            manager,
            server,
            ..
        } = self;
        drop(ui);
        manager.shutdown().await;
        server.stop().await;
    }

    /// Demands a token, as an application would, and waits for it.
    pub(super) async fn demand_token(&self, what: &str) -> Result<Arc<AccessToken>, String> {
        self.ui.waiting(Some(&format!("waiting for {what}")));
        let token = self.manager.token_owned().await;
        self.ui.waiting(None);
        token.map_err(|error| format!("{what} did not come: {error}"))
    }

    /// Waits for the next refresh, which must be an ordinary one: one
    /// accepted `POST /auth/token/refresh` and nothing else in the
    /// emulator's log, and the new token served. Returns its generation.
    pub(super) async fn ordinary_refresh(&mut self, what: &str) -> Result<u64, String> {
        let event = self
            .expect(what, |e| !matches!(e, Event::RateLimited { .. }))
            .await?;
        let Event::Refreshed { generation, .. } = event else {
            return Err(format!(
                "expected a refresh, got: {}",
                events::describe(&event)
            ));
        };
        self.log_is(&[REFRESHED])?;
        self.served(generation.get()).await?;
        Ok(generation.get())
    }

    /// Waits for the next refresh to end in a re-authentication with the
    /// API key, for `reason`. Returns the new token's generation.
    pub(super) async fn reauthenticated(
        &mut self,
        what: &str,
        reason: ReauthReason,
    ) -> Result<u64, String> {
        let event = self
            .expect(what, |e| {
                matches!(e, Event::Refreshed { .. } | Event::Reauthenticated { .. })
            })
            .await?;
        let Event::Reauthenticated {
            reason: reported,
            generation,
            ..
        } = event
        else {
            return Err(format!(
                "expected a re-authentication, got: {}",
                events::describe(&event)
            ));
        };
        ensure(reported == reason, || {
            format!("unexpected re-authentication reason {reported:?}")
        })?;
        Ok(generation.get())
    }

    /// Waits for an event that `stop` accepts (or a terminal failure),
    /// showing the emulator's requests and every event on the way.
    pub(super) async fn expect(
        &mut self,
        what: &str,
        stop: impl Fn(&Event) -> bool,
    ) -> Result<Event, String> {
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

    /// Whether the client reported an event `matches` since the stage began.
    pub(super) fn reported(&self, matches: impl Fn(&Event) -> bool) -> bool {
        self.stage_events.iter().any(matches)
    }

    /// The backoff delays the client reported since the stage began.
    pub(super) fn retry_delays(&self) -> Vec<Duration> {
        self.stage_events
            .iter()
            .filter_map(|e| match e {
                Event::RetryScheduled { delay, .. } => Some(*delay),
                _ => None,
            })
            .collect()
    }

    /// The emulator's log since the stage began.
    pub(super) fn stage_log(&self) -> Vec<LoggedRequest> {
        self.server
            .log()
            .get(self.mark..)
            .unwrap_or_default()
            .to_vec()
    }

    /// The emulator's log since the stage began is exactly `expected`.
    pub(super) fn log_is(&self, expected: &[Seen]) -> Result<(), String> {
        let seen: Vec<Seen> = self
            .stage_log()
            .iter()
            .map(|r| (r.endpoint, r.status, r.fault.is_some()))
            .collect();
        let show = |list: &[Seen]| {
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
        ensure(seen == expected, || {
            format!(
                "the emulator saw [{}], expected [{}]",
                show(&seen),
                show(expected)
            )
        })
    }

    /// The token served is generation `generation` (the client announces a
    /// token just before it publishes it, so allow it a moment).
    pub(super) async fn served(&self, generation: u64) -> Result<(), String> {
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

    /// One call to a protected resource of the emulator; returns its status.
    pub(super) async fn call(&self, token: &AccessToken) -> Result<u16, String> {
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

    /// What the emulator saw and the client got over the whole demo, and
    /// how many of the `stages` happened.
    pub(super) fn summary(&self, stages: usize, failed: Option<&StageFailed>) {
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
                "  stages         all {stages} happened, as checked against the emulator's log"
            )),
            Some(failed) => self.ui.plain(&format!(
                "  stages         {} of {stages} happened; stage {} ({}) did not: {}",
                tally.stages_passed, failed.number, failed.name, failed.reason
            )),
        }
    }
}
