//! A scripted, in-memory revault-api: by default it behaves like the real
//! one (validates bodies, rotates refresh tokens, rejects spent ones), and a
//! queue of [`Reply`]s overrides its next answers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use http::{Request, Response, StatusCode};
use serde::Deserialize;

use crate::config::Config;
use crate::error::TransportErrorKind;

/// One scripted answer, used for the next request instead of the default.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "testing", derive(arbitrary::Arbitrary))]
pub enum Reply {
    /// Behave normally (validate, issue or rotate).
    Normal,
    /// Behave normally but issue tokens with these lifetimes (seconds;
    /// invalid values such as 0 or -1 are sent as they are).
    Lifetimes(f64, f64),
    /// Answer with this status and a spec-shaped error body.
    Status(u16),
    /// 420 or 429 (or 503) with this `Retry-After` header value, if any.
    RateLimited(u16, Option<String>),
    /// Answer with this status and these exact body bytes.
    Raw(u16, Vec<u8>),
    /// Never answer: the core's own request timeout has to fire.
    Drop,
    /// Fail in transport.
    Transport(TransportErrorKind),
}

/// What the server did with a request.
pub enum Answer {
    /// An HTTP answer.
    Response(Response<Vec<u8>>),
    /// A transport failure to report.
    TransportError(TransportErrorKind),
    /// Nothing will ever come back.
    Silence,
}

impl std::fmt::Debug for Answer {
    // Bodies carry tokens: show the status only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Response(response) => write!(f, "Response({})", response.status()),
            Self::TransportError(kind) => write!(f, "TransportError({kind:?})"),
            Self::Silence => f.write_str("Silence"),
        }
    }
}

/// Counters a test can assert on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// `POST /auth/token` requests seen.
    pub token_requests: u64,
    /// `POST /auth/token/refresh` requests seen.
    pub refresh_requests: u64,
    /// Refresh requests that carried a refresh token already used once.
    pub spent_refresh_reuse: u64,
    /// Requests whose body did not match the spec.
    pub malformed_requests: u64,
}

/// The scripted server. It keeps its own notion of time, the wall clock the
/// harness passes in, so it can tell whether a token the core serves has
/// really expired.
pub struct ScriptedServer {
    workspace: String,
    /// API keys it knows, as (id, secret); a revoked key is refused.
    keys: Vec<(String, String)>,
    revoked: HashSet<String>,
    /// Lifetimes of normally issued tokens, in seconds.
    pub access_ttl: f64,
    /// Refresh token lifetime, in seconds.
    pub refresh_ttl: f64,
    /// Prefix of every token issued, so secret-hygiene tests can search for it.
    pub token_prefix: String,
    script: VecDeque<Reply>,
    access_expiry: HashMap<String, SystemTime>,
    refresh_expiry: HashMap<String, SystemTime>,
    spent: HashSet<String>,
    issued: u64,
    rejected_refreshes: u32,
    /// The server's own wall clock: the latest time it was told, so a
    /// driver's stale reading cannot move it back.
    clock: SystemTime,
    stats: ServerStats,
}

impl std::fmt::Debug for ScriptedServer {
    // It holds the API key secret and every token it issued: show counters only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedServer")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("pending_replies", &self.script.len())
            .field("issued", &self.issued)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthenticateBody {
    workspace: String,
    api_key_id: String,
    api_key_secret: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RefreshBody {
    workspace: String,
    refresh_token: String,
}

impl ScriptedServer {
    /// A server that accepts exactly the credentials in `config`.
    pub fn for_config(config: &Config) -> Self {
        Self {
            workspace: config.workspace.clone(),
            keys: vec![(
                config.api_key_id.clone(),
                config.api_key_secret.expose_secret().to_owned(),
            )],
            revoked: HashSet::new(),
            access_ttl: 300.0,
            refresh_ttl: 1800.0,
            token_prefix: "tok".to_owned(),
            script: VecDeque::new(),
            access_expiry: HashMap::new(),
            refresh_expiry: HashMap::new(),
            spent: HashSet::new(),
            issued: 0,
            rejected_refreshes: 0,
            clock: SystemTime::UNIX_EPOCH,
            stats: ServerStats::default(),
        }
    }

    /// Sets the lifetimes of normally issued tokens.
    pub fn with_lifetimes(mut self, access: f64, refresh: f64) -> Self {
        self.access_ttl = access;
        self.refresh_ttl = refresh;
        self
    }

    /// Accepts one more API key (rotation: add the new key, move the core
    /// to it, revoke the old one).
    pub fn add_key(&mut self, id: &str, secret: &str) {
        self.revoked.remove(id);
        self.keys.push((id.to_owned(), secret.to_owned()));
    }

    /// Refuses the API key `id` from now on (401).
    pub fn revoke_key(&mut self, id: &str) {
        self.revoked.insert(id.to_owned());
    }

    /// Queues a scripted answer for a coming request.
    pub fn push(&mut self, reply: Reply) {
        self.script.push_back(reply);
    }

    /// Forgets the scripted answers not used yet.
    pub fn clear_script(&mut self) {
        self.script.clear();
    }

    /// Answers the next `count` refresh requests with 401, whatever else is
    /// scripted (the server revoked the refresh token family).
    pub fn reject_refreshes(&mut self, count: u32) {
        self.rejected_refreshes = count;
    }

    /// Scripted answers not used yet.
    pub fn pending_replies(&self) -> usize {
        self.script.len()
    }

    /// The counters.
    pub fn stats(&self) -> ServerStats {
        self.stats
    }

    /// When the server considers `access_token` expired, if it issued it.
    pub fn access_expiry(&self, access_token: &str) -> Option<SystemTime> {
        self.access_expiry.get(access_token).copied()
    }

    /// Answers `request` at wall time `wall`.
    pub fn answer(&mut self, request: &Request<Vec<u8>>, wall: SystemTime) -> Answer {
        self.clock = self.clock.max(wall);
        let wall = self.clock;
        let path = request.uri().path();
        let refresh = path.ends_with("/auth/token/refresh");
        if refresh {
            self.stats.refresh_requests += 1;
        } else if path.ends_with("/auth/token") {
            self.stats.token_requests += 1;
        } else {
            return Answer::Response(error(404, "NOT_FOUND", "no such path"));
        }
        // A refresh token is spent the moment it reaches the server,
        // whatever the answer: the strictest server the core could meet.
        let presented = if refresh {
            serde_json::from_slice::<RefreshBody>(request.body()).ok()
        } else {
            None
        };
        let reused = presented
            .as_ref()
            .is_some_and(|body| self.spent.contains(&body.refresh_token));
        if let Some(body) = &presented {
            if reused {
                self.stats.spent_refresh_reuse += 1;
            }
            self.spent.insert(body.refresh_token.clone());
        }
        if refresh && self.rejected_refreshes > 0 {
            self.rejected_refreshes -= 1;
            return Answer::Response(error(401, "UNAUTHORIZED", "refresh token revoked"));
        }
        let (access_ttl, refresh_ttl) = match self.script.pop_front().unwrap_or(Reply::Normal) {
            Reply::Normal => (self.access_ttl, self.refresh_ttl),
            Reply::Lifetimes(access, refresh) => (access, refresh),
            Reply::Status(status) => {
                return Answer::Response(error(status, "SCRIPTED", "scripted"));
            }
            Reply::RateLimited(status, retry_after) => {
                let mut response = error(status, "TOO_MANY_REQUESTS", "slow down");
                if let Some(value) = retry_after.and_then(|v| http::HeaderValue::from_str(&v).ok())
                {
                    response
                        .headers_mut()
                        .insert(http::header::RETRY_AFTER, value);
                }
                return Answer::Response(response);
            }
            Reply::Raw(status, body) => return Answer::Response(raw(status, body)),
            Reply::Drop => return Answer::Silence,
            Reply::Transport(kind) => return Answer::TransportError(kind),
        };
        let authorized = if refresh {
            match presented {
                None => {
                    self.stats.malformed_requests += 1;
                    return Answer::Response(error(400, "BAD_REQUEST", "invalid body"));
                }
                Some(body) => {
                    body.workspace == self.workspace
                        && !reused
                        && self
                            .refresh_expiry
                            .remove(&body.refresh_token)
                            .is_some_and(|expiry| wall < expiry)
                }
            }
        } else {
            match serde_json::from_slice::<AuthenticateBody>(request.body()) {
                Err(_) => {
                    self.stats.malformed_requests += 1;
                    return Answer::Response(error(400, "BAD_REQUEST", "invalid body"));
                }
                Ok(body) => {
                    body.workspace == self.workspace
                        && !self.revoked.contains(&body.api_key_id)
                        && self.keys.iter().any(|(id, secret)| {
                            *id == body.api_key_id && *secret == body.api_key_secret
                        })
                }
            }
        };
        if !authorized {
            return Answer::Response(error(401, "UNAUTHORIZED", "invalid credentials"));
        }
        Answer::Response(self.issue(access_ttl, refresh_ttl, wall))
    }

    fn issue(&mut self, access_ttl: f64, refresh_ttl: f64, wall: SystemTime) -> Response<Vec<u8>> {
        self.issued += 1;
        let access = format!("{}-access-{}", self.token_prefix, self.issued);
        let refresh = format!("{}-refresh-{}", self.token_prefix, self.issued);
        let expiry = |ttl: f64| {
            Duration::try_from_secs_f64(ttl)
                .ok()
                .and_then(|ttl| wall.checked_add(ttl))
                .unwrap_or(wall)
        };
        self.access_expiry
            .insert(access.clone(), expiry(access_ttl));
        self.refresh_expiry
            .insert(refresh.clone(), expiry(refresh_ttl));
        let body = serde_json::json!({
            "accessToken": access,
            "expiresInSeconds": access_ttl,
            "refreshToken": refresh,
            "refreshExpiresInSeconds": refresh_ttl,
        });
        raw(200, body.to_string().into_bytes())
    }
}

fn raw(status: u16, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: u16, code: &str, message: &str) -> Response<Vec<u8>> {
    let body = serde_json::json!({ "message": message, "code": code });
    raw(status, body.to_string().into_bytes())
}
