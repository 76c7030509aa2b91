//! `revault-auth get PATH`: one authenticated request (GET, or `-X
//! METHOD` with `-d DATA` and `-H` headers), with backoff on transient
//! failures until the deadline; a `Retry-After` on 420, 429 or 503 is
//! waited out when it ends before the deadline, and ends the run at once
//! when it does not. A 401 goes through the middleware's
//! [`UnauthorizedPolicy`]: the token is withdrawn and the request sent
//! once more with a new one, unless the `Bearer` challenge names an error
//! other than `invalid_token` (then no new token would help).

use std::io::Write;
use std::time::Duration;

use clap::Args;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use revault_auth::ApiKeySecret;
use revault_auth::core::scrub_server_text;
use revault_auth_middleware::{UnauthorizedPolicy, Verdict};
use serde_json::Value;
use tokio::time::Instant;

use crate::failure::{Exit, Failure};
use crate::manager::{self, Session};
use crate::request::{self, RequestSpec};
use crate::settings::{ConnectionArgs, Run, seconds, shown};

/// Largest body printed.
const MAX_BODY: usize = 64 * 1024 * 1024;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// Path under the API base, starting with '/', e.g. /accounts?page=2
    #[arg(value_name = "PATH")]
    path: String,

    #[command(flatten)]
    connection: ConnectionArgs,

    /// Give up after this many seconds of failed attempts
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    deadline: Duration,

    #[command(flatten)]
    cache: manager::CacheArgs,

    /// HTTP method (default GET, or POST with -d)
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,

    /// Request body: the text itself, @FILE, or - for standard input
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        allow_hyphen_values = true
    )]
    data: Option<String>,

    /// Extra request header 'Name: value' (repeatable; not Authorization)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
}

/// What one exchange came to.
enum Outcome {
    Body(Vec<u8>),
    /// A 401, with its headers (for the 401 policy) and the server's
    /// message.
    Unauthorized(HeaderMap, String),
    /// Worth another try (transport failure, 429, 5xx), after the wait
    /// the server asked for, if it did.
    Transient(String, Option<Duration>),
    /// An error status that another try will not change.
    Refused(StatusCode, String),
}

pub(crate) async fn run(args: GetArgs) -> Result<(), Failure> {
    let connection = args.connection.resolve(Run::OneShot)?;
    let url = resource_url(&connection.base, &args.path)?;
    let spec = RequestSpec::new(args.method.as_deref(), args.data.as_deref(), &args.headers)?;
    let started = Instant::now();
    let deadline = started + args.deadline;
    let api_key_secret = connection.secret.clone();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    // The bearer token never leaves this machine unencrypted: plain http
    // (allowed to loopback only) never goes through a proxy.
    let client =
        if url.scheme() == "http" && url.host_str().is_some_and(revault_auth::core::is_loopback) {
            client.no_proxy()
        } else {
            client
        };
    let client = client
        .build()
        .map_err(|_| Failure::other("cannot build the HTTP client"))?;
    let session = manager::build(connection, args.cache, Some(args.deadline))?;

    let target = Target {
        spec,
        url,
        deadline,
        budget: args.deadline,
        api_key_secret,
    };
    let body = fetch(&session, &client, &target).await;
    session.close().await;
    let body = body?;
    let mut stdout = std::io::stdout().lock();
    let newline: &[u8] = if body.is_empty() || body.ends_with(b"\n") {
        b""
    } else {
        b"\n"
    };
    stdout
        .write_all(&body)
        .and_then(|()| stdout.write_all(newline))
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::other(format!("cannot write the body: {error}")))
}

/// What is sent where, until when, and what the server must not echo.
struct Target {
    spec: RequestSpec,
    url: reqwest::Url,
    deadline: Instant,
    budget: Duration,
    api_key_secret: ApiKeySecret,
}

async fn fetch(
    session: &Session,
    client: &reqwest::Client,
    target: &Target,
) -> Result<Vec<u8>, Failure> {
    let (url, deadline, budget) = (&target.url, target.deadline, target.budget);
    let method = &target.spec.method;
    let path = url.path().to_owned();
    let gave_up = |last: &str| {
        Failure::new(
            Exit::GaveUp,
            format!(
                "gave up on {method} {path} after {:.1} s (last error: {last})",
                budget.as_secs_f64()
            ),
        )
    };
    let policy = UnauthorizedPolicy::default();
    let mut retried_401 = false;
    let mut first_wait = true;
    let mut backoff = FIRST_BACKOFF;
    loop {
        // The first wait is bounded by the manager's own (which reports the
        // last error); later ones by what is left of the deadline.
        let token = if first_wait {
            first_wait = false;
            session.token().await?
        } else {
            match tokio::time::timeout_at(deadline, session.token()).await {
                Ok(token) => token?,
                Err(_) => return Err(gave_up("no valid token")),
            }
        };
        let mut request = client
            .request(method.clone(), url.clone())
            .headers(target.spec.headers.clone())
            .header(AUTHORIZATION, token.header_value().clone());
        if let Some(body) = &target.spec.body {
            request = request.body(body.clone());
        }
        let request = request.send();
        // Whatever the server says back is scrubbed of the token it was
        // sent and of the API key secret.
        let secrets = [
            token.secret().expose_secret(),
            target.api_key_secret.expose_secret(),
        ];
        let outcome = match tokio::time::timeout_at(deadline, exchange(request, &secrets)).await {
            Ok(outcome) => outcome,
            Err(_) => return Err(gave_up("no answer")),
        };
        match outcome {
            Outcome::Body(body) => return Ok(body),
            Outcome::Unauthorized(headers, detail) if !retried_401 => {
                match policy.first(&token, &headers) {
                    Verdict::WithdrawAndRetry => {
                        // Revoked or expired early: withdraw it, get
                        // another (saved to the cache, when there is one,
                        // before it is served), once.
                        retried_401 = true;
                        tracing::info!(
                            generation = token.generation().get(),
                            "401 from revault-api: retrying once with a new token"
                        );
                        session.manager.invalidate(&token);
                    }
                    Verdict::Return => {
                        // `insufficient_scope` and the like: a new token
                        // would get the same answer, so none is spent.
                        return Err(Failure::other(format!(
                            "{method} {path} answered HTTP 401 with a Bearer challenge that is not \
                             about the token{detail} (token kept)"
                        )));
                    }
                }
            }
            Outcome::Unauthorized(_, _) => {
                // The retry's own 401 withdraws nothing: this run sends no
                // more requests, and a withdrawal would start a refresh
                // that the exit could cut off before its new pair is saved.
                return Err(Failure::other(format!(
                    "{method} {path} answered HTTP 401 again with a new token"
                )));
            }
            Outcome::Refused(status, detail) => {
                return Err(Failure::other(format!(
                    "{method} {path} answered HTTP {}{detail}",
                    status.as_u16()
                )));
            }
            Outcome::Transient(error, Some(asked)) => {
                // The server said when to come back: not sooner (nor
                // sooner than the backoff, so that `Retry-After: 0` does
                // not spin), and not at all when that is past the deadline.
                let wait = asked.max(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                let until = Instant::now()
                    .checked_add(wait)
                    .filter(|until| *until < deadline);
                let Some(until) = until else {
                    return Err(gave_up(&format!(
                        "{error}, Retry-After {} s ends after the deadline",
                        asked.as_secs()
                    )));
                };
                tracing::info!(%error, delay_ms = wait.as_millis(), "waiting as Retry-After asks");
                tokio::time::sleep_until(until).await;
            }
            Outcome::Transient(error, None) => {
                if Instant::now() + backoff >= deadline {
                    return Err(gave_up(&error));
                }
                tracing::info!(%error, delay_ms = backoff.as_millis(), "request failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

async fn exchange(
    request: impl Future<Output = Result<reqwest::Response, reqwest::Error>>,
    secrets: &[&str],
) -> Outcome {
    let mut response = match request.await {
        Ok(response) => response,
        Err(error) => return Outcome::Transient(transport_error(&error).to_owned(), None),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_BODY => {
                body.extend_from_slice(&chunk);
            }
            Ok(Some(_)) => {
                return Outcome::Refused(status, format!(": body larger than {MAX_BODY} bytes"));
            }
            Ok(None) => break,
            Err(error) => return Outcome::Transient(transport_error(&error).to_owned(), None),
        }
    }
    if status.is_success() {
        return Outcome::Body(body);
    }
    let detail = server_message(&body, secrets);
    match status.as_u16() {
        401 => Outcome::Unauthorized(headers, detail),
        code @ (420 | 429 | 500 | 502 | 503 | 504) => {
            let asked = matches!(code, 420 | 429 | 503)
                .then(|| request::retry_after(&headers))
                .flatten();
            Outcome::Transient(format!("HTTP {code}{detail}"), asked)
        }
        _ => Outcome::Refused(status, detail),
    }
}

/// `: message (code CODE)` from a revault-api error body, if it has one,
/// scrubbed of `secrets` and of anything shaped like a bearer token or a
/// JWT before it is cut to length (the core's rule for server text).
fn server_message(body: &[u8], secrets: &[&str]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(|text| scrub_server_text(text, secrets))
    };
    match (text("message"), text("code")) {
        (Some(message), Some(code)) => format!(": {message} (code {code})"),
        (Some(message), None) => format!(": {message}"),
        _ => String::new(),
    }
}

/// A short, fixed description: reqwest's own text is not printed.
fn transport_error(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "connection broken"
    }
}

/// `{base}{path}`, refused unless it stays on the base's scheme, host and
/// port: the bearer token must not go anywhere else.
fn resource_url(base: &str, path: &str) -> Result<reqwest::Url, Failure> {
    let invalid = |why: &str| Failure::usage(format!("invalid PATH {}: {why}", shown(path)));
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(invalid("it must start with a single '/'"));
    }
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("it must not contain spaces or control characters"));
    }
    let base_url = reqwest::Url::parse(base).map_err(|_| invalid("the base URL does not parse"))?;
    let url = reqwest::Url::parse(&format!("{base}{path}")).map_err(|_| invalid("not a URL"))?;
    let same_origin = url.scheme() == base_url.scheme()
        && url.host() == base_url.host()
        && url.port_or_known_default() == base_url.port_or_known_default();
    if !same_origin || !under(&url, &base_url) {
        return Err(invalid("it must stay under the API base URL"));
    }
    Ok(url)
}

/// `url`'s path lies under `base`'s, segment by segment (after the URL
/// parser resolved any `..`): `/v1/rest2` is not under `/v1/rest`.
fn under(url: &reqwest::Url, base: &reqwest::Url) -> bool {
    let segments = |url: &reqwest::Url| -> Vec<String> {
        url.path_segments()
            .map(|segments| {
                segments
                    .filter(|segment| !segment.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (path, base) = (segments(url), segments(base));
    path.len() >= base.len() && path[..base.len()] == base[..]
}
