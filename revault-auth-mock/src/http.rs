//! The HTTP surface: router and handlers.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{any, post};
use bytes::Bytes;
use http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::fault::Fault;
use crate::log::LoggedRequest;
use crate::spec::{BASE_PATH, Endpoint, error_body};
use crate::state::{MockState, Rejection, TokenKind};

/// Largest request body accepted by the auth endpoints.
const MAX_BODY: usize = 64 * 1024;

/// Per-connection switch that makes the connection task drop the connection unanswered.
/// Inserted as a request extension by [`serve`](crate::serve).
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnKill(pub(crate) Arc<Notify>);

/// Builds the emulator's router (all routes under [`BASE_PATH`]).
///
/// Served with [`serve`](crate::serve), [`Fault::CloseConnection`] drops the connection
/// unanswered. Served by other means (e.g. `axum::serve`), it aborts the response body
/// instead, which makes hyper close the connection.
pub fn router(state: MockState) -> Router {
    Router::new()
        .route(
            &format!("{BASE_PATH}{}", Endpoint::Token.path()),
            post(token_handler).fallback(method_not_allowed),
        )
        .route(
            &format!("{BASE_PATH}{}", Endpoint::Refresh.path()),
            post(refresh_handler).fallback(method_not_allowed),
        )
        .route(BASE_PATH, any(protected_handler))
        .route(&format!("{BASE_PATH}/"), any(protected_handler))
        .route(&format!("{BASE_PATH}/{{*rest}}"), any(protected_handler))
        .fallback(not_found)
        .with_state(state)
}

// ---- response helpers ---------------------------------------------------------------------

fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn status_or_500(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, error_body(status.as_u16(), message, None))
}

fn bad_request(issues: &[String]) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        error_body(400, "Invalid input data", Some(issues)),
    )
}

// ---- fallbacks ----------------------------------------------------------------------------

async fn method_not_allowed(method: Method) -> Response {
    let mut response = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method {method} not allowed"),
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("POST"));
    response
}

async fn not_found(request: Request) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        &format!("No route for {}", request.uri().path()),
    )
}

// ---- protected resources ------------------------------------------------------------------

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

async fn protected_handler(State(state): State<MockState>, request: Request) -> Response {
    state.count(None);
    let Some(token) = bearer(request.headers()) else {
        return error_response(StatusCode::UNAUTHORIZED, "Authorization not provided");
    };
    match state.check_access(token) {
        Ok(claims) => json_response(
            StatusCode::OK,
            serde_json::to_vec(&json!({
                "ok": true,
                "method": request.method().as_str(),
                "path": request.uri().path(),
                "workspace": claims.ws,
                "apiKeyId": claims.sub,
            }))
            .unwrap_or_else(|_| b"{\"ok\":true}".to_vec()),
        ),
        Err(rejection) => error_response(
            StatusCode::UNAUTHORIZED,
            rejection.message(TokenKind::Access),
        ),
    }
}

// ---- auth endpoints -----------------------------------------------------------------------

async fn token_handler(State(state): State<MockState>, request: Request) -> Response {
    auth_endpoint(state, Endpoint::Token, request).await
}

async fn refresh_handler(State(state): State<MockState>, request: Request) -> Response {
    auth_endpoint(state, Endpoint::Refresh, request).await
}

/// What to do with an auth request once faults are taken into account.
enum Outcome {
    Normal,
    Respond(Response),
    Close,
}

async fn auth_endpoint(state: MockState, endpoint: Endpoint, request: Request) -> Response {
    let arrived = Instant::now();
    state.count(Some(endpoint));
    let (parts, body) = request.into_parts();
    let kill = parts.extensions.get::<ConnKill>().cloned();
    // A client that stops halfway through its body is answered 408 rather
    // than waited for forever.
    let read_timeout = state.config().request_read_timeout;
    let body = tokio::time::timeout(read_timeout, axum::body::to_bytes(body, MAX_BODY)).await;
    let stalled = body.is_err();
    let body = body.unwrap_or_else(|_elapsed| Ok(Bytes::new()));
    let json = body
        .as_ref()
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok());
    let field = |name: &str| {
        json.as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let workspace = field("workspace");
    let api_key_id = match endpoint {
        Endpoint::Token => field("apiKeyId"),
        Endpoint::Refresh => field("refreshToken")
            .and_then(|t| state.claims(&t))
            .map(|c| c.sub),
    };
    let log_id = state.log_arrival(LoggedRequest {
        endpoint,
        at: arrived,
        status: None,
        workspace,
        api_key_id,
        fault: None,
    });

    if stalled {
        let response = error_response(
            StatusCode::REQUEST_TIMEOUT,
            "The request body was not received in time",
        );
        state.log_outcome(log_id, Some(response.status().as_u16()), None);
        return response;
    }

    let fault = state.take_fault(endpoint);
    let mut next = fault.clone();
    let outcome = loop {
        match next {
            None => break Outcome::Normal,
            Some(Fault::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                break Outcome::Normal;
            }
            Some(Fault::Delayed { delay, then }) => {
                tokio::time::sleep(delay).await;
                next = Some(*then);
            }
            Some(Fault::CloseConnection) => break Outcome::Close,
            Some(other) => break Outcome::Respond(fault_response(other)),
        }
    };

    let response = match outcome {
        Outcome::Normal => match body {
            Ok(bytes) => process(&state, endpoint, &parts.headers, &bytes),
            Err(_) => bad_request(&["Request body could not be read or is too large".to_owned()]),
        },
        Outcome::Respond(response) => response,
        Outcome::Close => {
            state.log_outcome(log_id, None, fault);
            return close_connection(kill).await;
        }
    };
    state.log_outcome(log_id, Some(response.status().as_u16()), fault);
    response
}

fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::Status { status, body } => json_response(status_or_500(status), body),
        Fault::RateLimited {
            status,
            retry_after_secs,
            limit,
            remaining,
            reset_secs,
        } => {
            let status = status_or_500(status);
            let mut response = error_response(status, "Too many requests, retry later");
            let headers = response.headers_mut();
            headers.insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            headers.insert(
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderValue::from(limit),
            );
            headers.insert(
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderValue::from(remaining),
            );
            headers.insert(
                HeaderName::from_static("x-ratelimit-reset"),
                HeaderValue::from(reset_secs),
            );
            response
        }
        Fault::MalformedOk(body) => json_response(StatusCode::OK, body),
        Fault::Redirect { status, location } => match HeaderValue::try_from(location) {
            Ok(location) => {
                let status = status_or_500(status);
                let mut response = error_response(status, "Moved");
                response.headers_mut().insert(LOCATION, location);
                response
            }
            Err(_) => error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Injected redirect has an invalid Location",
            ),
        },
        Fault::Unauthorized => error_response(StatusCode::UNAUTHORIZED, "Unauthorized"),
        // Handled by the caller; answer something sensible if reached anyway.
        Fault::Delay(_) | Fault::Delayed { .. } | Fault::CloseConnection => {
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "Injected fault")
        }
    }
}

/// A response body that fails at once: hyper then closes the connection without sending
/// the (still buffered) response head.
#[derive(Debug)]
struct AbortBody;

impl hyper::body::Body for AbortBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::other(
            "connection closed by injected fault",
        ))))
    }
}

async fn close_connection(kill: Option<ConnKill>) -> Response {
    match kill {
        Some(ConnKill(notify)) => {
            notify.notify_one();
            // The connection task drops this future together with the connection.
            std::future::pending::<Infallible>().await;
            Response::new(Body::empty())
        }
        None => json_response(StatusCode::OK, Body::new(AbortBody)),
    }
}

// ---- validation and processing ------------------------------------------------------------

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Validates the body as a JSON object whose `fields` are all strings; returns them in order.
fn parse_fields(
    headers: &HeaderMap,
    body: &[u8],
    fields: &[&str],
) -> Result<Vec<String>, Vec<String>> {
    if !is_json(headers) {
        return Err(vec!["Content-Type must be application/json".to_owned()]);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| vec![format!("Request body is not valid JSON: {e}")])?;
    let Value::Object(object) = value else {
        return Err(vec![format!(
            "Request body must be a JSON object, got {}",
            type_name(&value)
        )]);
    };
    let mut values = Vec::with_capacity(fields.len());
    let mut issues = Vec::new();
    for field in fields {
        match object.get(*field) {
            Some(Value::String(s)) => values.push(s.clone()),
            Some(other) => issues.push(format!(
                "{field}: expected string, received {}",
                type_name(other)
            )),
            None => issues.push(format!("{field}: required")),
        }
    }
    if issues.is_empty() {
        Ok(values)
    } else {
        Err(issues)
    }
}

fn tokens_response(state: &MockState, workspace: &str, api_key_id: &str) -> Response {
    match state
        .issue_tokens(workspace, api_key_id)
        .and_then(|tokens| serde_json::to_vec(&tokens).ok())
    {
        Some(body) => json_response(StatusCode::OK, body),
        None => error_response(StatusCode::INTERNAL_SERVER_ERROR, "Could not issue tokens"),
    }
}

fn process(state: &MockState, endpoint: Endpoint, headers: &HeaderMap, body: &[u8]) -> Response {
    let cfg = state.config();
    match endpoint {
        Endpoint::Token => {
            let fields =
                match parse_fields(headers, body, &["workspace", "apiKeyId", "apiKeySecret"]) {
                    Ok(fields) => fields,
                    Err(issues) => return bad_request(&issues),
                };
            let [workspace, key_id, secret] = fields.as_slice() else {
                return bad_request(&["Invalid request body".to_owned()]);
            };
            if *key_id != cfg.api_key_id || *secret != cfg.api_key_secret {
                return error_response(StatusCode::UNAUTHORIZED, "Invalid API key credentials");
            }
            if *workspace != cfg.workspace {
                return error_response(
                    StatusCode::FORBIDDEN,
                    "The API key does not belong to this workspace",
                );
            }
            tokens_response(state, workspace, key_id)
        }
        Endpoint::Refresh => {
            let fields = match parse_fields(headers, body, &["workspace", "refreshToken"]) {
                Ok(fields) => fields,
                Err(issues) => return bad_request(&issues),
            };
            let [workspace, refresh_token] = fields.as_slice() else {
                return bad_request(&["Invalid request body".to_owned()]);
            };
            let claims = state.claims(refresh_token);
            match state.consume_refresh(claims.as_ref(), workspace) {
                Ok(()) => {
                    let sub = claims.map(|c| c.sub).unwrap_or_default();
                    tokens_response(state, workspace, &sub)
                }
                Err(Rejection::WrongWorkspace) => error_response(
                    StatusCode::FORBIDDEN,
                    Rejection::WrongWorkspace.message(TokenKind::Refresh),
                ),
                Err(rejection) => error_response(
                    StatusCode::UNAUTHORIZED,
                    rejection.message(TokenKind::Refresh),
                ),
            }
        }
    }
}
