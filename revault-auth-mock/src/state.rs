//! Shared state of the emulator: keys, issued tokens, faults, request log, counters.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::MockConfig;
use crate::fault::{Fault, Target};
use crate::log::LoggedRequest;
use crate::spec::Endpoint;

/// Longest lifetime actually tracked (about 100 years); longer TTLs are clamped to it.
const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// Prune expired entries from the token tables once they hold this many entries.
const PRUNE_THRESHOLD: usize = 4096;

/// Kind of token, carried in the `typ` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// An access token (bearer token for protected resources).
    Access,
    /// A refresh token (for `POST /auth/token/refresh`).
    Refresh,
}

/// Claims carried by every token the emulator issues (HS256 JWTs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Issued at (seconds since the Unix epoch).
    pub iat: u64,
    /// Expiry (seconds since the Unix epoch, rounded up; the emulator itself enforces the
    /// exact, possibly fractional, lifetime).
    pub exp: u64,
    /// Subject: the API key id.
    pub sub: String,
    /// Workspace.
    pub ws: String,
    /// Unique token id.
    pub jti: String,
    /// Access or refresh token.
    pub typ: TokenKind,
}

/// A freshly issued pair of tokens, as answered by both auth endpoints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedTokens {
    /// JWT used to authenticate requests.
    pub access_token: String,
    /// Access token validity period, in seconds.
    pub expires_in_seconds: f64,
    /// Refresh token used to obtain new tokens.
    pub refresh_token: String,
    /// Refresh token validity period, in seconds.
    pub refresh_expires_in_seconds: f64,
}

/// Why a token was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    Malformed,
    WrongKind,
    Unknown,
    Expired,
    Revoked,
    WrongWorkspace,
}

impl Rejection {
    pub(crate) fn message(self, kind: TokenKind) -> &'static str {
        match (self, kind) {
            (Self::Malformed, TokenKind::Access) => "Invalid access token",
            (Self::Malformed, TokenKind::Refresh) => "Invalid refresh token",
            (Self::WrongKind, TokenKind::Access) => "Not an access token",
            (Self::WrongKind, TokenKind::Refresh) => "Not a refresh token",
            (Self::Unknown, TokenKind::Access) => "Unknown access token",
            (Self::Unknown, TokenKind::Refresh) => "Refresh token already used or unknown",
            (Self::Expired, TokenKind::Access) => "Access token expired",
            (Self::Expired, TokenKind::Refresh) => "Refresh token expired",
            (Self::Revoked, TokenKind::Access) => "Access token revoked",
            (Self::Revoked, TokenKind::Refresh) => "Refresh token revoked",
            (Self::WrongWorkspace, _) => "Token does not belong to this workspace",
        }
    }
}

#[derive(Debug)]
struct AccessEntry {
    expires: Instant,
    revoked: bool,
}

/// Requests the log keeps: a long `revault-auth mock` run under a busy
/// client must not grow without bound (the counters keep counting).
pub const LOG_CAPACITY: usize = 10_000;

#[derive(Debug)]
struct RefreshEntry {
    expires: Instant,
}

#[derive(Debug, Default)]
struct Shared {
    one_shot: VecDeque<(Target, Fault)>,
    persistent_token: Option<Fault>,
    persistent_refresh: Option<Fault>,
    access: HashMap<String, AccessEntry>,
    refresh: HashMap<String, RefreshEntry>,
    /// The newest [`LOG_CAPACITY`] requests, oldest first.
    log: VecDeque<(u64, LoggedRequest)>,
}

struct Inner {
    cfg: MockConfig,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    shared: Mutex<Shared>,
    next_id: AtomicU64,
    token_requests: AtomicUsize,
    refresh_requests: AtomicUsize,
    protected_requests: AtomicUsize,
}

/// The emulator's state, shared by the router's handlers and by the test that drives it.
///
/// Cloning is cheap (an `Arc`). Use it with [`router`](crate::router) or
/// [`serve`](crate::serve) to serve the emulator yourself; [`MockServer`](crate::MockServer)
/// wraps one and exposes the same controls.
#[derive(Clone)]
pub struct MockState {
    inner: Arc<Inner>,
}

impl fmt::Debug for MockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockState")
            .field("cfg", &self.inner.cfg)
            .field("token_requests", &self.token_requests())
            .field("refresh_requests", &self.refresh_requests())
            .field("protected_requests", &self.protected_requests())
            .finish_non_exhaustive()
    }
}

impl From<MockConfig> for MockState {
    fn from(cfg: MockConfig) -> Self {
        Self::new(cfg)
    }
}

impl Default for MockState {
    fn default() -> Self {
        Self::new(MockConfig::default())
    }
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

impl MockState {
    /// A fresh state with a new random signing key.
    pub fn new(cfg: MockConfig) -> Self {
        let mut key = [0u8; 32];
        fastrand::fill(&mut key);
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is enforced by the emulator itself, with sub-second precision.
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.required_spec_claims = HashSet::new();
        Self {
            inner: Arc::new(Inner {
                cfg,
                encoding: EncodingKey::from_secret(&key),
                decoding: DecodingKey::from_secret(&key),
                validation,
                shared: Mutex::new(Shared::default()),
                next_id: AtomicU64::new(1),
                token_requests: AtomicUsize::new(0),
                refresh_requests: AtomicUsize::new(0),
                protected_requests: AtomicUsize::new(0),
            }),
        }
    }

    /// The configuration this state was created with.
    pub fn config(&self) -> &MockConfig {
        &self.inner.cfg
    }

    fn shared(&self) -> MutexGuard<'_, Shared> {
        // Nothing panics while holding the lock; recover anyway rather than propagate.
        self.inner
            .shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn next_id(&self) -> u64 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    // ---- faults -------------------------------------------------------------------------

    /// Queues a one-shot fault, applied to the next auth request matching `target`.
    /// Queued faults are used in order; one-shot faults take precedence over persistent ones.
    pub fn push_fault(&self, target: Target, fault: Fault) {
        self.shared().one_shot.push_back((target, fault));
    }

    /// Sets (`Some`) or clears (`None`) the fault applied to every auth request matching
    /// `target` (when no one-shot fault matches). `Target::Both` sets or clears both
    /// endpoints.
    pub fn set_persistent_fault(&self, target: Target, fault: Option<Fault>) {
        let mut shared = self.shared();
        match target {
            Target::Token => shared.persistent_token = fault,
            Target::Refresh => shared.persistent_refresh = fault,
            Target::Both => {
                shared.persistent_token.clone_from(&fault);
                shared.persistent_refresh = fault;
            }
        }
    }

    /// Drops every queued one-shot fault and every persistent fault.
    pub fn clear_faults(&self) {
        let mut shared = self.shared();
        shared.one_shot.clear();
        shared.persistent_token = None;
        shared.persistent_refresh = None;
    }

    /// Number of one-shot faults still queued.
    pub fn pending_faults(&self) -> usize {
        self.shared().one_shot.len()
    }

    pub(crate) fn take_fault(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut shared = self.shared();
        if let Some(pos) = shared
            .one_shot
            .iter()
            .position(|(target, _)| target.matches(endpoint))
        {
            return shared.one_shot.remove(pos).map(|(_, fault)| fault);
        }
        match endpoint {
            Endpoint::Token => shared.persistent_token.clone(),
            Endpoint::Refresh => shared.persistent_refresh.clone(),
        }
    }

    // ---- revocation ---------------------------------------------------------------------

    /// Revokes every access token issued so far: protected resources answer 401 for them.
    /// Tokens issued afterwards are valid. Refresh tokens are untouched (see
    /// [`MockState::revoke_refresh_tokens`]).
    pub fn revoke_all(&self) {
        for entry in self.shared().access.values_mut() {
            entry.revoked = true;
        }
    }

    /// Revokes one access token (a token this server did not sign is ignored).
    pub fn revoke_access_token(&self, token: &str) {
        if let Some(claims) = self.claims(token)
            && let Some(entry) = self.shared().access.get_mut(&claims.jti)
        {
            entry.revoked = true;
        }
    }

    /// Invalidates every refresh token issued so far: refreshing with them answers 401.
    pub fn revoke_refresh_tokens(&self) {
        self.shared().refresh.clear();
    }

    // ---- log and counters ---------------------------------------------------------------

    /// The auth requests received, in arrival order: the newest
    /// [`LOG_CAPACITY`] of them.
    pub fn log(&self) -> Vec<LoggedRequest> {
        self.shared().log.iter().map(|(_, r)| r.clone()).collect()
    }

    /// Forgets the request log (counters are kept).
    pub fn clear_log(&self) {
        self.shared().log.clear();
    }

    /// Number of `POST /auth/token` requests received (whatever the answer).
    pub fn token_requests(&self) -> usize {
        self.inner.token_requests.load(Ordering::Relaxed)
    }

    /// Number of `POST /auth/token/refresh` requests received (whatever the answer).
    pub fn refresh_requests(&self) -> usize {
        self.inner.refresh_requests.load(Ordering::Relaxed)
    }

    /// Number of requests to protected resources (any path under the base other than the
    /// two auth endpoints), whatever the answer.
    pub fn protected_requests(&self) -> usize {
        self.inner.protected_requests.load(Ordering::Relaxed)
    }

    pub(crate) fn count(&self, endpoint: Option<Endpoint>) {
        let counter = match endpoint {
            Some(Endpoint::Token) => &self.inner.token_requests,
            Some(Endpoint::Refresh) => &self.inner.refresh_requests,
            None => &self.inner.protected_requests,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn log_arrival(&self, request: LoggedRequest) -> u64 {
        let id = self.next_id();
        let mut shared = self.shared();
        if shared.log.len() >= LOG_CAPACITY {
            shared.log.pop_front();
        }
        shared.log.push_back((id, request));
        id
    }

    pub(crate) fn log_outcome(&self, id: u64, status: Option<u16>, fault: Option<Fault>) {
        let mut shared = self.shared();
        if let Some((_, entry)) = shared.log.iter_mut().rev().find(|(i, _)| *i == id) {
            entry.status = status;
            entry.fault = fault;
        }
    }

    // ---- tokens -------------------------------------------------------------------------

    /// Decodes a token this server signed (signature checked; expiry and revocation not).
    pub fn claims(&self, token: &str) -> Option<TokenClaims> {
        jsonwebtoken::decode::<TokenClaims>(token, &self.inner.decoding, &self.inner.validation)
            .ok()
            .map(|data| data.claims)
    }

    fn sign(
        &self,
        kind: TokenKind,
        ttl: Duration,
        workspace: &str,
        sub: &str,
    ) -> Option<(String, String)> {
        let now = unix_now();
        let ttl = ttl.min(MAX_TTL);
        let exp = now.saturating_add(ttl);
        let exp_secs = exp.as_secs() + u64::from(exp.subsec_nanos() > 0);
        let jti = format!("{:x}-{:016x}", self.next_id(), fastrand::u64(..));
        let claims = TokenClaims {
            iat: now.as_secs(),
            exp: exp_secs,
            sub: sub.to_owned(),
            ws: workspace.to_owned(),
            jti: jti.clone(),
            typ: kind,
        };
        match jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.inner.encoding,
        ) {
            Ok(token) => Some((token, jti)),
            Err(error) => {
                tracing::error!(%error, "could not sign a token");
                None
            }
        }
    }

    /// Issues a new access/refresh token pair for `api_key_id` in `workspace`, without any
    /// credential check (useful to seed a client under test).
    pub fn issue_tokens(&self, workspace: &str, api_key_id: &str) -> Option<IssuedTokens> {
        let cfg = &self.inner.cfg;
        let (access_token, access_jti) =
            self.sign(TokenKind::Access, cfg.access_ttl, workspace, api_key_id)?;
        let (refresh_token, refresh_jti) =
            self.sign(TokenKind::Refresh, cfg.refresh_ttl, workspace, api_key_id)?;
        let now = Instant::now();
        let access_expires = now + cfg.access_ttl.min(MAX_TTL);
        let refresh_expires = now + cfg.refresh_ttl.min(MAX_TTL);
        {
            let mut shared = self.shared();
            if shared.access.len() >= PRUNE_THRESHOLD {
                shared.access.retain(|_, e| e.expires > now);
            }
            if shared.refresh.len() >= PRUNE_THRESHOLD {
                shared.refresh.retain(|_, e| e.expires > now);
            }
            shared.access.insert(
                access_jti,
                AccessEntry {
                    expires: access_expires,
                    revoked: false,
                },
            );
            shared.refresh.insert(
                refresh_jti,
                RefreshEntry {
                    expires: refresh_expires,
                },
            );
        }
        Some(IssuedTokens {
            access_token,
            expires_in_seconds: cfg.access_ttl.as_secs_f64(),
            refresh_token,
            refresh_expires_in_seconds: cfg.refresh_ttl.as_secs_f64(),
        })
    }

    /// Checks an access token: signed here, an access token, known, unexpired, unrevoked.
    pub(crate) fn check_access(&self, token: &str) -> Result<TokenClaims, Rejection> {
        let claims = self.claims(token).ok_or(Rejection::Malformed)?;
        if claims.typ != TokenKind::Access {
            return Err(Rejection::WrongKind);
        }
        let shared = self.shared();
        let entry = shared.access.get(&claims.jti).ok_or(Rejection::Unknown)?;
        if entry.expires <= Instant::now() {
            return Err(Rejection::Expired);
        }
        if entry.revoked {
            return Err(Rejection::Revoked);
        }
        Ok(claims)
    }

    /// Consumes a refresh token for `workspace`. A token presented for another workspace is
    /// rejected (403) without being consumed.
    pub(crate) fn consume_refresh(
        &self,
        claims: Option<&TokenClaims>,
        workspace: &str,
    ) -> Result<(), Rejection> {
        let claims = claims.ok_or(Rejection::Malformed)?;
        if claims.typ != TokenKind::Refresh {
            return Err(Rejection::WrongKind);
        }
        let mut shared = self.shared();
        let entry = shared.refresh.get(&claims.jti).ok_or(Rejection::Unknown)?;
        if entry.expires <= Instant::now() {
            shared.refresh.remove(&claims.jti);
            return Err(Rejection::Expired);
        }
        if claims.ws != workspace {
            return Err(Rejection::WrongWorkspace);
        }
        shared.refresh.remove(&claims.jti);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::spec::Endpoint;

    fn arrival(workspace: usize) -> LoggedRequest {
        LoggedRequest {
            endpoint: Endpoint::Token,
            at: Instant::now(),
            status: None,
            workspace: Some(workspace.to_string()),
            api_key_id: None,
            fault: None,
        }
    }

    #[test]
    fn the_request_log_keeps_only_the_newest_entries() {
        let state = MockState::new(MockConfig::default());
        let mut last = 0;
        for n in 0..LOG_CAPACITY + 5 {
            last = state.log_arrival(arrival(n));
        }
        // An outcome still lands on its (newest) entry.
        state.log_outcome(last, Some(200), None);
        let log = state.log();
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(log[0].workspace.as_deref(), Some("5"), "the oldest kept");
        let newest = log.last().expect("entries");
        assert_eq!(
            newest.workspace.as_deref(),
            Some((LOG_CAPACITY + 4).to_string().as_str())
        );
        assert_eq!(newest.status, Some(200));
    }
}
