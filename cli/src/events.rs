//! Events as JSON (for `watch`) and as prose (for `demo`). Events carry no
//! secret, and neither do these renderings.

use std::time::Duration;

use revault_auth::core::{ExpiryCause, ReauthReason};
use revault_auth::{AuthError, ErrorClass, Event};
use serde_json::{Map, Value, json};

/// The event's name: `authenticated`, `refreshed`, `reauthenticated`,
/// `restored`, `retrying`, `rate_limited`, `expired`, `failed`, or
/// `unknown` for a kind added to the library after this build; `None` for
/// a request's latency, which is for metrics, not a change in the session.
pub(crate) fn name(event: &Event) -> Option<&'static str> {
    Some(match event {
        Event::Authenticated { .. } => "authenticated",
        Event::Refreshed { .. } => "refreshed",
        Event::Reauthenticated { .. } => "reauthenticated",
        Event::Restored { .. } => "restored",
        Event::RetryScheduled { .. } => "retrying",
        Event::RateLimited { .. } => "rate_limited",
        Event::Expired { .. } => "expired",
        Event::Failed { .. } => "failed",
        Event::RequestFinished { .. } => return None,
        _ => "unknown",
    })
}

/// One JSON object for `watch`: `event`, `t_ms` and the event's fields.
pub(crate) fn to_json(event: &Event, t_ms: u64) -> Option<Value> {
    let mut object = Map::new();
    object.insert("event".into(), name(event)?.into());
    object.insert("t_ms".into(), t_ms.into());
    let mut put = |key: &str, value: Value| {
        object.insert(key.to_owned(), value);
    };
    match event {
        Event::Authenticated {
            generation,
            expires_in,
            refresh_expires_in,
        }
        | Event::Refreshed {
            generation,
            expires_in,
            refresh_expires_in,
        } => {
            put("generation", generation.get().into());
            put("expires_in_s", seconds(*expires_in));
            put("refresh_expires_in_s", seconds(*refresh_expires_in));
        }
        Event::Reauthenticated {
            generation,
            expires_in,
            refresh_expires_in,
            reason,
        } => {
            put("generation", generation.get().into());
            put("expires_in_s", seconds(*expires_in));
            put("refresh_expires_in_s", seconds(*refresh_expires_in));
            put("reason", reauth_reason(*reason).into());
        }
        Event::RetryScheduled {
            error,
            delay,
            attempt,
        } => {
            put("delay_ms", millis(*delay).into());
            put("attempt", (*attempt).into());
            error_fields(error, &mut put);
        }
        Event::RateLimited { status, delay } => {
            put("status", (*status).into());
            put("delay_ms", millis(*delay).into());
        }
        Event::Restored { generation } => put("generation", generation.get().into()),
        Event::Expired { generation, cause } => {
            put("generation", generation.get().into());
            put("reason", expiry_cause(*cause).into());
        }
        Event::Failed { error } => error_fields(error, &mut put),
        // Not printed (see `name`).
        Event::RequestFinished { .. } => {}
        // A kind added after this build: printed with its name only.
        _ => {}
    }
    Some(Value::Object(object))
}

fn error_fields(error: &AuthError, put: &mut impl FnMut(&str, Value)) {
    put("error_class", error_class(error.class()).into());
    put("error", error.to_string().into());
    if let Some(status) = status(error) {
        put("status", status.into());
    }
    if let Some(server) = error.server_message() {
        put(
            "server",
            json!({ "message": server.message, "code": server.code }),
        );
    }
}

/// The HTTP status an error carries, if any.
pub(crate) fn status(error: &AuthError) -> Option<u16> {
    match error {
        AuthError::CredentialsRejected { status, .. }
        | AuthError::RefreshRejected { status, .. }
        | AuthError::Server { status, .. }
        | AuthError::RateLimited { status }
        | AuthError::Misconfigured { status }
        | AuthError::UnexpectedStatus { status } => Some(*status),
        AuthError::InvalidRequest { .. } => Some(400),
        _ => None,
    }
}

pub(crate) fn error_class(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::CredentialsRejected => "credentials_rejected",
        ErrorClass::InvalidRequest => "invalid_request",
        ErrorClass::RateLimited => "rate_limited",
        ErrorClass::InvalidResponse => "invalid_response",
        ErrorClass::Misconfigured => "misconfigured",
        _ => "transient",
    }
}

pub(crate) fn reauth_reason(reason: ReauthReason) -> &'static str {
    match reason {
        ReauthReason::RefreshRejected => "refresh_rejected",
        ReauthReason::RefreshTokenExpiring => "refresh_token_expiring",
        ReauthReason::RefreshTokenSpent => "refresh_token_spent",
        ReauthReason::ApiKeyUpdated => "api_key_updated",
        _ => "other",
    }
}

pub(crate) fn expiry_cause(cause: ExpiryCause) -> &'static str {
    match cause {
        ExpiryCause::Lifetime => "lifetime",
        ExpiryCause::Rejected => "rejected",
        ExpiryCause::Suspended => "suspended",
        _ => "other",
    }
}

/// A sentence for the demo's timeline.
pub(crate) fn describe(event: &Event) -> String {
    match event {
        Event::Authenticated {
            generation,
            expires_in,
            refresh_expires_in,
        } => format!(
            "authenticated: token #{} (lives {:.1} s; refresh token {:.0} s)",
            generation.get(),
            expires_in.as_secs_f64(),
            refresh_expires_in.as_secs_f64()
        ),
        Event::Refreshed {
            generation,
            expires_in,
            ..
        } => format!(
            "refreshed: token #{} (lives {:.1} s), with a new refresh token",
            generation.get(),
            expires_in.as_secs_f64()
        ),
        Event::Reauthenticated {
            generation,
            expires_in,
            reason,
            ..
        } => format!(
            "re-authenticated with the API key: token #{} (lives {:.1} s); reason: {}",
            generation.get(),
            expires_in.as_secs_f64(),
            reauth_reason(*reason).replace('_', " ")
        ),
        Event::RetryScheduled {
            error: error @ AuthError::RefreshRejected { .. },
            ..
        } => format!("{error} -> back to the API key at once"),
        Event::RetryScheduled { error, delay, .. } if delay.is_zero() => {
            format!("{error} -> next attempt at once")
        }
        Event::RetryScheduled {
            error,
            delay,
            attempt,
        } => format!(
            "{error} -> backing off {} ms (consecutive failures: {attempt})",
            millis(*delay)
        ),
        Event::RateLimited { status, delay } => format!(
            "rate limited (HTTP {status}) -> waiting {} ms as asked",
            millis(*delay)
        ),
        Event::Restored { generation } => format!(
            "restored: token #{} from the token store, no request",
            generation.get()
        ),
        Event::Expired { generation, cause } => format!(
            "token #{} withdrawn ({})",
            generation.get(),
            match cause {
                ExpiryCause::Rejected => "revault-api answered 401 to it",
                ExpiryCause::Suspended => "the machine slept past its lifetime",
                _ => "it reached its safety floor before a new one arrived",
            }
        ),
        Event::Failed { error } => format!("failed for good: {error}"),
        Event::RequestFinished {
            purpose, latency, ..
        } => format!("{purpose:?} request finished after {} ms", millis(*latency)),
        other => format!("an event this build does not know: {other:?}"),
    }
}

fn seconds(duration: Duration) -> Value {
    // Millisecond precision is plenty and keeps the numbers short.
    Value::from((duration.as_secs_f64() * 1000.0).round() / 1000.0)
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
