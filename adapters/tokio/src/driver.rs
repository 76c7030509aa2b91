//! The background task: the core's drive loop on tokio (drain → send → wait
//! for an answer, a deadline or a command → feed back). Publishing, waking
//! callers and events are the shared [`Publication`]'s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use revault_auth_core::http::Response;
use revault_auth_core::{
    AsyncTransport, AuthCore, Purpose, RequestId, Transmit, TransportErrorKind,
};
use revault_auth_shared::command::{Applied, Command};
use revault_auth_shared::store::{Blocking, StoreLink};
use revault_auth_shared::{HEARTBEAT, Publication};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinError, JoinSet};
use tracing::instrument::WithSubscriber;

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
    publication: Arc<Publication>,
    sends: JoinSet<Answer>,
    /// The request in flight and its task, to abort it once the core has
    /// given up on it.
    sending: Option<(RequestId, AbortHandle)>,
    /// The token store shared with other processes, if any.
    store: Option<StoreLink>,
}

/// The store's blocking calls run on tokio's blocking pool.
struct BlockingPool;

impl Blocking for BlockingPool {
    async fn run<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        tokio::task::spawn_blocking(work).await.ok()
    }
}

/// Marks the manager closed however the task ends (shutdown, the last
/// handle dropped, a runtime shutting down, a panic).
struct CloseOnDrop(Arc<Publication>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl<T: AsyncTransport> Driver<T> {
    pub(crate) fn new(
        core: AuthCore,
        transport: T,
        publication: Arc<Publication>,
        store: Option<StoreLink>,
    ) -> Self {
        Self {
            core,
            transport: Arc::new(transport),
            publication,
            sends: JoinSet::new(),
            sending: None,
            store,
        }
    }

    pub(crate) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let _closed = CloseOnDrop(Arc::clone(&self.publication));
        if let Some(store) = self.store.as_mut() {
            let wall = self.publication.wall_clock().clone();
            store.start::<BlockingPool>(&mut self.core, wall).await;
        }
        let mut immediate = 0;
        loop {
            let now = Instant::now();
            self.core.handle_wall_clock(now, self.publication.wall());
            self.core.handle_timeout(now);
            self.drain(now).await;

            // Wake at least every heartbeat, to notice a suspend.
            let nap = now + HEARTBEAT;
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
                command = commands.recv() => {
                    let now = Instant::now();
                    let command = command.unwrap_or(Command::Shutdown);
                    match command.apply(&mut self.core, now, self.publication.wall()) {
                        Applied::Continue => {}
                        Applied::Answer(answer) => {
                            // Published before answering, so the caller sees it.
                            self.drain(now).await;
                            answer.send();
                        }
                        Applied::Stop => break,
                    }
                },
                Some(joined) = self.sends.join_next(), if !self.sends.is_empty() => match joined {
                    Ok(answer) => self.feed(answer),
                    Err(error) => self.lost(&error),
                },
                () = tokio::time::sleep_until(deadline.into()) => {}
            }
        }
        self.sends.abort_all();
        self.core.close();
        self.drain(Instant::now()).await;
        tracing::debug!("token manager stopped");
    }

    /// Drains the core in the documented order: requests, then events and
    /// the token (published before the events that announce it go out).
    async fn drain(&mut self, now: Instant) {
        // The core gave up on the request (its own deadline): abort the
        // send, so a transport that ignores its limits cannot pile up.
        let in_flight = self.core.in_flight().map(|(id, _)| id);
        if let Some((id, task)) = self.sending.take_if(|(id, _)| Some(*id) != in_flight) {
            tracing::debug!(request_id = id.get(), "abandoned send aborted");
            task.abort();
        }
        // Saved before published; the store's lock taken before sending.
        if let Some(store) = self.store.as_mut() {
            let wall = self.publication.wall_clock().clone();
            store.step::<BlockingPool>(&mut self.core, wall).await;
        }
        let now = now.max(Instant::now());
        while let Some(transmit) = self.core.poll_transmit(now) {
            self.send(transmit);
        }
        for event in self.publication.settle(&mut self.core, now) {
            tracing::debug!(?event, "token event");
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
        let task = self.sends.spawn(exchange.with_current_subscriber());
        self.sending = Some((id, task));
    }

    /// A send task that ended without an answer: a panic is a transport
    /// error for the core, at once; an abort was ours.
    fn lost(&mut self, error: &JoinError) {
        let Some((id, _)) = self.sending.take_if(|(_, task)| task.id() == error.id()) else {
            return;
        };
        tracing::warn!(
            request_id = id.get(),
            panicked = error.is_panic(),
            "a send task failed"
        );
        let kind = TransportErrorKind::Other;
        self.core.handle_transport_error(id, kind, Instant::now());
    }

    fn feed(&mut self, answer: Answer) {
        let Answer {
            id,
            purpose,
            sent_at,
            result,
        } = answer;
        self.sending.take_if(|(sending, _)| *sending == id);
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
