//! `metrics` facade counters and histograms for the token manager's
//! [`Event`]s (feature `metrics`). The names and labels are listed in the
//! crate docs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), revault_auth_tokio::TokenError> {
//! let manager = revault_auth_tokio::TokenManager::from_env()?;
//! // After installing a recorder (metrics-exporter-prometheus, ...):
//! revault_auth_middleware::metrics::describe();
//! tokio::spawn(revault_auth_middleware::metrics::record_events(manager.subscribe()));
//! let token = manager.token().await?; // counted: revault_auth_tokens_total{kind="authenticated"}
//! # let _ = token; Ok(()) }
//! ```

use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};
use revault_auth_core::{AuthError, ErrorClass, ExpiryCause, Purpose, ReauthReason};
use revault_auth_shared::broadcast::{self, error::RecvError};

use crate::Event;

/// Describes every metric of this crate (help text and unit) to the
/// installed recorder. Optional; call it once after installing one.
pub fn describe() {
    let counters = [
        ("revault_auth_tokens_total", "Access tokens obtained"),
        (
            "revault_auth_reauthentications_total",
            "Token pairs obtained with the API key instead of a refresh",
        ),
        (
            "revault_auth_retries_total",
            "Token requests that failed transiently and will be retried",
        ),
        (
            "revault_auth_rate_limited_total",
            "Token requests the server asked to slow down",
        ),
        (
            "revault_auth_expired_total",
            "Tokens withdrawn from service",
        ),
        (
            "revault_auth_failures_total",
            "Terminal failures: no token until the API key is replaced",
        ),
        (
            "revault_auth_events_lagged_total",
            "Token manager events lost by a slow metrics recorder task",
        ),
        (
            "revault_auth_unauthorized_total",
            "401 answers seen by the revault-auth middleware",
        ),
    ];
    for (name, help) in counters {
        describe_counter!(name, Unit::Count, help);
    }
    let histograms = [
        (
            "revault_auth_token_lifetime_seconds",
            "Stated lifetime of new access tokens",
        ),
        (
            "revault_auth_refresh_token_lifetime_seconds",
            "Stated lifetime of new refresh tokens",
        ),
        (
            "revault_auth_retry_delay_seconds",
            "Backoff before a retried token request",
        ),
        (
            "revault_auth_rate_limit_delay_seconds",
            "Wait the server asked for before the next token request (capped)",
        ),
        (
            "revault_auth_request_duration_seconds",
            "Token request latency, from sending to the answer or failure",
        ),
        (
            "revault_auth_time_left_at_refresh_seconds",
            "How long the served token still had when its replacement was requested",
        ),
    ];
    for (name, help) in histograms {
        describe_histogram!(name, Unit::Seconds, help);
    }
}

/// Records one event in the installed `metrics` recorder.
pub fn record(event: &Event) {
    match event {
        Event::Authenticated {
            expires_in,
            refresh_expires_in,
            ..
        } => token("authenticated", expires_in, refresh_expires_in),
        Event::Refreshed {
            expires_in,
            refresh_expires_in,
            ..
        } => token("refreshed", expires_in, refresh_expires_in),
        Event::Reauthenticated {
            expires_in,
            refresh_expires_in,
            reason,
            ..
        } => {
            token("reauthenticated", expires_in, refresh_expires_in);
            let reason = match reason {
                ReauthReason::RefreshRejected => "refresh_rejected",
                ReauthReason::RefreshTokenExpiring => "refresh_token_expiring",
                ReauthReason::RefreshTokenSpent => "refresh_token_spent",
                ReauthReason::ApiKeyUpdated => "api_key_updated",
                _ => "other",
            };
            counter!("revault_auth_reauthentications_total", "reason" => reason).increment(1);
        }
        Event::RetryScheduled { error, delay, .. } => {
            let (class, kind) = labels(error);
            counter!("revault_auth_retries_total", "class" => class, "error" => kind).increment(1);
            histogram!("revault_auth_retry_delay_seconds").record(delay.as_secs_f64());
        }
        Event::RateLimited { status, delay } => {
            let status = match status {
                420 => "420",
                429 => "429",
                503 => "503",
                _ => "other",
            };
            counter!("revault_auth_rate_limited_total", "status" => status).increment(1);
            histogram!("revault_auth_rate_limit_delay_seconds").record(delay.as_secs_f64());
        }
        Event::Expired { cause, .. } => {
            let cause = match cause {
                ExpiryCause::Lifetime => "lifetime",
                ExpiryCause::Rejected => "rejected",
                ExpiryCause::Suspended => "suspended",
                _ => "other",
            };
            counter!("revault_auth_expired_total", "cause" => cause).increment(1);
        }
        Event::Failed { error } => {
            let (class, kind) = labels(error);
            counter!("revault_auth_failures_total", "class" => class, "error" => kind).increment(1);
        }
        Event::RequestFinished {
            purpose,
            status,
            latency,
            token_time_left,
        } => {
            let endpoint = match purpose {
                Purpose::Authenticate => "token",
                Purpose::Refresh => "refresh",
            };
            let outcome = match status {
                Some(200) => "ok",
                Some(_) => "error_status",
                None => "no_answer",
            };
            histogram!("revault_auth_request_duration_seconds", "endpoint" => endpoint, "outcome" => outcome)
                .record(latency.as_secs_f64());
            if let Some(left) = token_time_left {
                histogram!("revault_auth_time_left_at_refresh_seconds").record(left.as_secs_f64());
            }
        }
        _ => {}
    }
}

/// Records every event `events` receives until the manager is gone. Spawn
/// it with the receiver of
/// any manager's `subscribe()`,
/// taken before the first request so that the first token is counted.
pub async fn record_events(mut events: broadcast::Receiver<Event>) {
    loop {
        match events.recv().await {
            Ok(event) => record(&event),
            Err(RecvError::Lagged(lost)) => {
                counter!("revault_auth_events_lagged_total").increment(lost);
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Counts a 401 seen by the layer or the middleware.
pub(crate) fn unauthorized(outcome: &'static str) {
    counter!("revault_auth_unauthorized_total", "outcome" => outcome).increment(1);
}

fn token(kind: &'static str, expires_in: &std::time::Duration, refresh: &std::time::Duration) {
    counter!("revault_auth_tokens_total", "kind" => kind).increment(1);
    histogram!("revault_auth_token_lifetime_seconds").record(expires_in.as_secs_f64());
    histogram!("revault_auth_refresh_token_lifetime_seconds").record(refresh.as_secs_f64());
}

/// The `class` and `error` labels of an error.
fn labels(error: &AuthError) -> (&'static str, &'static str) {
    let class = match error.class() {
        ErrorClass::CredentialsRejected => "credentials_rejected",
        ErrorClass::InvalidRequest => "invalid_request",
        ErrorClass::Misconfigured => "misconfigured",
        ErrorClass::RateLimited => "rate_limited",
        ErrorClass::InvalidResponse => "invalid_response",
        ErrorClass::Transient => "transient",
        _ => "other",
    };
    let kind = match error {
        AuthError::CredentialsRejected { .. } => "credentials_rejected",
        AuthError::InvalidRequest { .. } => "invalid_request",
        AuthError::Misconfigured { .. } => "misconfigured",
        AuthError::RefreshRejected { .. } => "refresh_rejected",
        AuthError::Server { .. } => "server",
        AuthError::RateLimited { .. } => "rate_limited",
        AuthError::UnexpectedStatus { .. } => "unexpected_status",
        AuthError::InvalidResponse(_) => "invalid_response",
        AuthError::Timeout => "timeout",
        AuthError::Transport(_) => "transport",
        AuthError::TokensRejected { .. } => "tokens_rejected",
        _ => "other",
    };
    (class, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_api_url_is_labelled_misconfigured() {
        let error = AuthError::Misconfigured { status: 404 };
        assert_eq!(labels(&error), ("misconfigured", "misconfigured"));
    }
}
