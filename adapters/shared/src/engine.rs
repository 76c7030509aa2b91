//! [`Engine`]: one manager's core, token store link and publication, and
//! the order in which a driver works them. Both drivers (the async loop in
//! [`driver`](crate::driver) and the blocking manager, which drives inline
//! from its callers' threads) do only what needs a runtime or a thread:
//! wait, send, and run [`StoreJob`]s.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use revault_auth_core::http::{Request, Response};
use revault_auth_core::{
    AuthCore, Config, Event, Limits, Purpose, RequestId, TokenGeneration, TransportError,
};

use crate::command::{Applied, Command};
use crate::store::{StoreJob, StoreLink, StoreOutcome, TokenStore};
use crate::{HEARTBEAT, Publication};

/// What a transport answered.
pub type Answer = Result<Response<Vec<u8>>, TransportError>;

/// The `tracing` target of the span around each token request.
pub const REQUEST_TARGET: &str = "revault_auth::request";

/// A request handed to a transport: what its answer is fed back with.
#[derive(Clone, Debug)]
pub struct Sent {
    id: RequestId,
    purpose: Purpose,
    at: Instant,
    span: tracing::Span,
}

impl Sent {
    /// The core's id for it.
    pub fn id(&self) -> RequestId {
        self.id
    }

    /// The `token_request` span (target [`REQUEST_TARGET`]) around it:
    /// `purpose`, `attempt` (1 for the first request since the last
    /// answer that brought tokens), `request_id`, then once answered
    /// `outcome` ("HTTP 200", or the transport error) and `duration_ms`.
    /// Drivers send inside it, so an HTTP client's own spans nest there.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }
}

/// A manager's state between the core and the world.
#[derive(Debug)]
pub struct Engine {
    core: AuthCore,
    publication: Arc<Publication>,
    store: Option<StoreLink>,
    /// Requests sent since the last answer that brought tokens.
    attempts: u32,
}

impl Engine {
    /// A core for `config` publishing to `publication`, sharing its
    /// session through `store` if any.
    pub fn new(
        config: Config,
        publication: Arc<Publication>,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Self {
        let store = store.map(|store| StoreLink::new(store, &config));
        Self {
            // Each manager draws its own jitter unless the policy sets a seed.
            core: AuthCore::new_seeded(config, Instant::now(), crate::seed::os_seed()),
            publication,
            store,
            attempts: 0,
        }
    }

    /// Where callers read and wait.
    pub fn publication(&self) -> &Arc<Publication> {
        &self.publication
    }

    fn wall(&self) -> SystemTime {
        self.publication.wall()
    }

    /// Feeds both clocks to the core: the one input on every wake-up.
    pub fn wake(&mut self, now: Instant) {
        let wall = self.wall();
        self.core.handle_clocks(now, wall);
        if let Some(store) = self.store.as_mut() {
            store.give_up_overdue_lock(&mut self.core, now);
        }
    }

    /// Applies a handle's command (see [`Command::apply`]).
    pub fn apply(&mut self, command: Command, now: Instant) -> Applied {
        let wall = self.wall();
        let applied = command.apply(&mut self.core, now, wall);
        if let Some(store) = self.store.as_mut() {
            store.follow(&self.core);
        }
        applied
    }

    /// The next store call to run, if one is needed and none is under way.
    /// Its outcome goes to [`store_done`](Self::store_done).
    pub fn store_job(&mut self, now: Instant) -> Option<StoreJob> {
        let wall = self.wall();
        self.store.as_mut()?.next_job(&mut self.core, now, wall)
    }

    /// The outcome of the store job under way (`None`: it did not finish).
    pub fn store_done(&mut self, outcome: Option<StoreOutcome>) {
        let (now, wall) = (Instant::now(), self.wall());
        if let Some(store) = self.store.as_mut() {
            store.finish(&mut self.core, outcome, now, wall);
        }
    }

    /// The request in flight, if any.
    pub fn in_flight(&self) -> Option<RequestId> {
        self.core.in_flight().map(|(id, _)| id)
    }

    /// The request to send now, if the core is due to and no store call
    /// must come first (the lock before a request, any job under way).
    pub fn poll_request(&mut self, now: Instant) -> Option<(Sent, Request<Vec<u8>>, Limits)> {
        if let Some(store) = &self.store
            && (store.busy() || store.must_lock(&self.core, now))
        {
            return None;
        }
        let transmit = self.core.poll_transmit(now)?;
        let (id, purpose, limits) = (transmit.id, transmit.purpose, transmit.limits());
        self.attempts = self.attempts.saturating_add(1);
        let span = tracing::info_span!(
            target: REQUEST_TARGET,
            "token_request",
            ?purpose,
            attempt = self.attempts,
            request_id = id.get(),
            outcome = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        tracing::debug!(request_id = id.get(), ?purpose, "sending token request");
        let sent = Sent {
            id,
            purpose,
            at: Instant::now(),
            span,
        };
        Some((sent, transmit.into_request(), limits))
    }

    /// Feeds the core what the transport answered to `sent`.
    pub fn feed(&mut self, sent: Sent, answer: Answer) {
        let Sent {
            id,
            purpose,
            at,
            span,
        } = sent;
        let now = Instant::now();
        let elapsed_ms = now.saturating_duration_since(at).as_millis();
        span.record("duration_ms", u64::try_from(elapsed_ms).unwrap_or(u64::MAX));
        let _entered = span.enter();
        let current = match answer {
            Ok(response) => {
                self.publication.note_transport_cause(None);
                let status = response.status().as_u16();
                span.record("outcome", format!("HTTP {status}"));
                if response.status().is_success() {
                    self.attempts = 0;
                }
                tracing::debug!(
                    request_id = id.get(),
                    ?purpose,
                    status,
                    elapsed_ms,
                    "answer"
                );
                self.core.handle_response(id, response, now)
            }
            Err(TransportError { kind, cause }) => {
                span.record("outcome", kind.to_string());
                tracing::debug!(
                    request_id = id.get(),
                    ?purpose,
                    error = %kind,
                    cause = cause.as_ref().map(|cause| cause.as_str()),
                    elapsed_ms,
                    "transport error"
                );
                self.publication.note_transport_cause(cause);
                self.core.handle_transport_error(id, kind, now)
            }
        };
        if !current {
            tracing::debug!(request_id = id.get(), "late answer ignored");
        }
    }

    /// Publishes what the core holds and hands out its events (see
    /// [`Publication::settle`]), except new tokens not saved yet: until
    /// their save, the token served before stays up to its own deadline.
    pub fn settle(&mut self, now: Instant) -> Vec<Event> {
        if self
            .store
            .as_ref()
            .is_some_and(|store| store.holds_back(&self.core))
        {
            if let Some(served) = self.served_until().filter(|(_, until)| now >= *until) {
                self.publication.withdraw(served.0);
            }
            return Vec::new();
        }
        let events = self.publication.settle(&mut self.core, now);
        for event in &events {
            tracing::debug!(?event, "token event");
        }
        events
    }

    fn served_until(&self) -> Option<(TokenGeneration, Instant)> {
        let token = self.publication.try_token()?;
        Some((token.generation(), token.usable_until()))
    }

    /// When the driver must wake at the latest: the core's next deadline,
    /// the deadline of a token served while a newer one waits for its
    /// save, and a heartbeat to compare the clocks (to notice a suspend).
    /// While a store job is under way, a refresh point already passed is
    /// not a deadline (the job's end wakes the driver) and must not hide
    /// the token's own `usable_until` behind it.
    pub fn next_wake(&self, now: Instant) -> Instant {
        let mut wake = now + HEARTBEAT;
        let store = self.store.as_ref();
        let waiting_for_store = store.is_some_and(StoreLink::busy);
        if let Some(at) = self.core.poll_timeout()
            && (at > now || !waiting_for_store)
        {
            wake = wake.min(at);
        }
        if waiting_for_store && let Some(token) = self.core.access_token(now) {
            wake = wake.min(token.usable_until());
        }
        if let Some(retry_at) = store.and_then(StoreLink::next_wake) {
            wake = wake.min(retry_at);
        }
        if store.is_some_and(|store| store.holds_back(&self.core))
            && let Some((_, until)) = self.served_until()
        {
            wake = wake.min(until);
        }
        wake
    }

    /// Stops for good: drops every secret; a last [`settle`](Self::settle)
    /// withdraws the token.
    pub fn close(&mut self) {
        self.core.close();
    }
}
