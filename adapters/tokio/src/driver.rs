//! The background task: the core's drive loop on tokio (drain → send → wait
//! for an answer, a deadline or a command → feed back).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use revault_auth_core::http::Response;
use revault_auth_core::{
    AsyncTransport, AuthCore, AuthError, Event, Purpose, RequestId, Transmit, TransportErrorKind,
};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use tracing::instrument::WithSubscriber;

use crate::{Command, Shared};

/// Longest sleep: a machine suspended longer is noticed within this long of
/// waking (monotonic clocks stop while suspended; the wall clock does not).
const MAX_NAP: Duration = Duration::from_secs(10);

/// Consecutive wake-ups with a deadline already due before the loop stops
/// trusting it and naps for a millisecond instead of spinning.
const MAX_IMMEDIATE: u32 = 16;

/// The outcome of one exchange, sent back from its task.
struct Answer {
    id: RequestId,
    purpose: Purpose,
    sent_at: Instant,
    result: Result<Response<Vec<u8>>, TransportErrorKind>,
}

pub(crate) struct Driver<T> {
    core: AuthCore,
    transport: Arc<T>,
    shared: Arc<Shared>,
    events: broadcast::Sender<Event>,
    sends: JoinSet<Answer>,
    /// The core's `token_version` when this task last stored `shared.token`.
    published: u64,
    /// The core's last error, as this task last stored it.
    last_error: Option<AuthError>,
    /// Whether the core's terminal failure has been stored.
    failed: bool,
}

/// Marks the manager closed however the task ends (shutdown, drop, a
/// runtime shutting down, a panic), so that no caller waits in vain.
struct CloseOnDrop(Arc<Shared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.token.store(None);
        self.0.closed.store(true, Ordering::Release);
        self.0.changed.notify_waiters();
    }
}

impl<T: AsyncTransport> Driver<T> {
    pub(crate) fn new(
        core: AuthCore,
        transport: T,
        shared: Arc<Shared>,
        events: broadcast::Sender<Event>,
    ) -> Self {
        Self {
            core,
            transport: Arc::new(transport),
            shared,
            events,
            sends: JoinSet::new(),
            published: 0,
            last_error: None,
            failed: false,
        }
    }

    pub(crate) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let _closed = CloseOnDrop(Arc::clone(&self.shared));
        let mut immediate = 0;
        loop {
            let now = Instant::now();
            self.core.handle_wall_clock(now, SystemTime::now());
            self.core.handle_timeout(now);
            self.drain(now);

            let nap = now + MAX_NAP;
            let deadline = self.core.poll_timeout().map_or(nap, |at| at.min(nap));
            // A deadline already due is acted on now rather than left to a
            // timer that tokio's cooperative budget may hold back (quinn's fix).
            if deadline <= Instant::now() {
                immediate += 1;
                if immediate < MAX_IMMEDIATE {
                    continue;
                }
                tracing::warn!("the core keeps reporting a due deadline; napping");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            immediate = 0;

            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    Some(Command::Start) => self.core.start(Instant::now()),
                    Some(Command::Rejected(generation)) => {
                        let dropped = self.core.handle_rejected(generation, Instant::now());
                        tracing::debug!(generation = generation.get(), dropped, "token reported rejected");
                    }
                    Some(Command::Restore(saved, answer)) => {
                        let now = Instant::now();
                        let installed = self.core.restore(*saved, now, SystemTime::now());
                        tracing::debug!(installed, "saved tokens offered");
                        // Published before answering, so the caller sees it.
                        self.drain(now);
                        let _ = answer.send(installed);
                    }
                    Some(Command::Export(answer)) => {
                        let _ = answer.send(self.core.export(Instant::now(), SystemTime::now()));
                    }
                    Some(Command::Shutdown) | None => break,
                },
                Some(joined) = self.sends.join_next(), if !self.sends.is_empty() => match joined {
                    Ok(answer) => self.feed(answer),
                    // The core's own request deadline covers a lost answer.
                    Err(error) => tracing::warn!(panicked = error.is_panic(), "a send task failed"),
                },
                () = tokio::time::sleep_until(deadline.into()) => {}
            }
        }
        self.core.close();
        self.drain(Instant::now());
        tracing::debug!("token manager stopped");
    }

    /// Drains the core in the documented order: requests, then events; the
    /// token is published before the events go out.
    fn drain(&mut self, now: Instant) {
        while let Some(transmit) = self.core.poll_transmit(now) {
            self.send(transmit);
        }
        let mut events = Vec::new();
        while let Some(event) = self.core.poll_event() {
            events.push(event);
        }
        self.publish(now);
        // After publishing, so a subscriber told of a new token gets it.
        for event in events {
            tracing::debug!(?event, "token event");
            let _ = self.events.send(event);
        }
    }

    /// Stores the failure, the last error and the token for readers, and
    /// wakes the waiting callers when any of it changed.
    fn publish(&mut self, now: Instant) {
        let mut wake = false;
        if let Some(error) = self.core.failure().filter(|_| !self.failed) {
            self.shared.failure.store(Some(Arc::new(error.clone())));
            self.failed = true;
            wake = true;
        }
        if self.core.last_error() != self.last_error.as_ref() {
            self.last_error = self.core.last_error().cloned();
            let shared = self.last_error.clone().map(Arc::new);
            self.shared.last_error.store(shared);
        }
        let version = self.core.token_version();
        if version != self.published {
            let current = self.core.access_token(now).cloned().map(Arc::new);
            self.shared.token.store(current);
            self.published = version;
            wake = true;
        }
        if wake {
            self.shared.changed.notify_waiters();
        }
    }

    fn send(&mut self, transmit: Transmit) {
        let (id, purpose, limits) = (transmit.id, transmit.purpose, transmit.limits());
        let request = transmit.into_request();
        tracing::debug!(request_id = id.get(), ?purpose, "sending token request");
        let transport = Arc::clone(&self.transport);
        let sent_at = Instant::now();
        let exchange = async move {
            let result = transport.send(request, limits).await;
            Answer {
                id,
                purpose,
                sent_at,
                result,
            }
        };
        self.sends.spawn(exchange.with_current_subscriber());
    }

    fn feed(&mut self, answer: Answer) {
        let Answer {
            id,
            purpose,
            sent_at,
            result,
        } = answer;
        let now = Instant::now();
        let elapsed_ms = now.saturating_duration_since(sent_at).as_millis();
        let current = match result {
            Ok(response) => {
                let status = response.status().as_u16();
                tracing::debug!(
                    request_id = id.get(),
                    ?purpose,
                    status,
                    elapsed_ms,
                    "answer"
                );
                self.core.handle_response(id, response, now)
            }
            Err(kind) => {
                tracing::debug!(request_id = id.get(), ?purpose, error = %kind, elapsed_ms, "transport error");
                self.core.handle_transport_error(id, kind, now)
            }
        };
        if !current {
            tracing::debug!(request_id = id.get(), "late answer ignored");
        }
    }
}
