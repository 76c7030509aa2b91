//! The loop around the core, on its own thread: send, wait for an answer,
//! a deadline or a command, feed back. Publishing, waking callers and
//! events are the shared [`Publication`]'s.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use async_channel::Receiver;
use async_io::Timer;
use futures_lite::FutureExt;
use revault_auth_core::http::Response;
use revault_auth_core::{AsyncTransport, AuthCore, Phase, RequestId, Transmit, TransportErrorKind};
use revault_auth_shared::command::{Applied, Command};
use revault_auth_shared::store::{Blocking, StoreLink};
use revault_auth_shared::{HEARTBEAT, Publication};

pub(crate) type Answer = Result<Response<Vec<u8>>, TransportErrorKind>;
type Sending<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

pub(crate) struct Driver {
    core: AuthCore,
    publication: Arc<Publication>,
    commands: Receiver<Command>,
    /// The token store shared with other processes, if any.
    store: Option<StoreLink>,
}

/// The store's blocking calls run on the `blocking` thread pool.
struct BlockingPool;

impl Blocking for BlockingPool {
    async fn run<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        Some(blocking::unblock(work).await)
    }
}

/// What woke the driver.
enum Wake {
    Answer(Answer),
    Timer,
    Command(Option<Command>),
}

/// Marks the manager closed however the driver ends.
struct CloseOnExit(Arc<Publication>);

impl Drop for CloseOnExit {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Sends `transmit`; a transport that panics, when called or polled, answers
/// with a transport error instead of taking the driver thread down.
fn send<'a>(transport: &'a impl AsyncTransport, transmit: Transmit) -> Sending<'a> {
    let (id, purpose, limits) = (transmit.id, transmit.purpose, transmit.limits());
    tracing::debug!(request_id = id.get(), ?purpose, "sending token request");
    let request = transmit.into_request();
    match catch_unwind(AssertUnwindSafe(|| transport.send(request, limits))) {
        Ok(sending) => Box::pin(async move {
            AssertUnwindSafe(sending)
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    tracing::warn!(request_id = id.get(), "the transport panicked");
                    Err(TransportErrorKind::Other)
                })
        }),
        Err(_) => {
            tracing::warn!(request_id = id.get(), "the transport panicked");
            Box::pin(std::future::ready(Err(TransportErrorKind::Other)))
        }
    }
}

impl Driver {
    pub(crate) fn new(
        core: AuthCore,
        publication: Arc<Publication>,
        commands: Receiver<Command>,
        store: Option<StoreLink>,
    ) -> Self {
        Self {
            core,
            publication,
            commands,
            store,
        }
    }

    pub(crate) async fn run(mut self, transport: impl AsyncTransport) {
        let _close = CloseOnExit(Arc::clone(&self.publication));
        let mut in_flight: Option<(RequestId, Sending<'_>)> = None;
        if let Some(store) = self.store.as_mut() {
            let wall = self.publication.wall_clock().clone();
            store.start::<BlockingPool>(&mut self.core, wall).await;
        }
        loop {
            let now = Instant::now();
            self.core.handle_wall_clock(now, self.publication.wall());
            self.core.handle_timeout(now);
            // The core gave up on the request (its own deadline): drop it.
            if in_flight.as_ref().map(|(id, _)| *id) != self.core.in_flight().map(|(id, _)| id) {
                in_flight = None;
            }
            // Saved before published; the store's lock taken before sending.
            if let Some(store) = self.store.as_mut() {
                let wall = self.publication.wall_clock().clone();
                store.step::<BlockingPool>(&mut self.core, wall).await;
            }
            let now = now.max(Instant::now());
            if in_flight.is_none()
                && let Some(transmit) = self.core.poll_transmit(now)
            {
                in_flight = Some((transmit.id, send(&transport, transmit)));
            }
            self.settle(now);
            if self.core.phase() == Phase::Closed {
                return;
            }
            // Wake at least every heartbeat, to notice a suspend.
            let nap = now + HEARTBEAT;
            let deadline = self.core.poll_timeout().map_or(nap, |at| at.min(nap));
            let answer = async {
                match in_flight.as_mut() {
                    Some((_, request)) => Wake::Answer(request.as_mut().await),
                    None => std::future::pending().await,
                }
            };
            let timer = async {
                Timer::at(deadline).await;
                Wake::Timer
            };
            let command = async { Wake::Command(self.commands.recv().await.ok()) };
            match answer.or(timer).or(command).await {
                Wake::Answer(answer) => {
                    if let Some((id, _)) = in_flight.take() {
                        self.feed(id, answer);
                    }
                }
                Wake::Timer => {}
                Wake::Command(command) => self.command(command),
            }
        }
    }

    fn command(&mut self, command: Option<Command>) {
        let now = Instant::now();
        let command = command.unwrap_or(Command::Shutdown);
        match command.apply(&mut self.core, now, self.publication.wall()) {
            Applied::Continue => {}
            Applied::Answer(answer) => {
                // Published before answering, so the caller sees it.
                self.settle(now);
                answer.send();
            }
            Applied::Stop => self.core.close(),
        }
    }

    fn feed(&mut self, id: RequestId, answer: Answer) {
        let now = Instant::now();
        match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                tracing::debug!(request_id = id.get(), status, "answer");
                self.core.handle_response(id, response, now);
            }
            Err(kind) => {
                tracing::debug!(request_id = id.get(), error = %kind, "transport error");
                self.core.handle_transport_error(id, kind, now);
            }
        }
    }

    fn settle(&mut self, now: Instant) {
        for event in self.publication.settle(&mut self.core, now) {
            tracing::debug!(?event, "token event");
        }
    }
}
