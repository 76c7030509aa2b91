//! The async drive loop, the same on every runtime: wake, run the next
//! store job off the loop, send, publish, then wait for a command, an
//! answer, a store job's outcome or a deadline. It never awaits the store
//! in place: while a store call is under way, deadlines fire (a token is
//! withdrawn at its `usable_until`) and commands are answered.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

use futures_lite::FutureExt;
use revault_auth_core::http::Request;
use revault_auth_core::{AsyncTransport, Limits, TransportErrorKind};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::Publication;
use crate::command::{Applied, Command};
use crate::engine::{Answer, Engine, Sent};
use crate::runtime::Runtime;
use crate::store::StoreOutcome;

/// Consecutive wake-ups with a deadline already due before the loop stops
/// trusting it and naps for a millisecond instead of spinning.
const MAX_IMMEDIATE: u32 = 16;

type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What woke the driver.
enum Wake {
    Command(Option<Command>),
    Answer(Answer),
    Stored(Option<StoreOutcome>),
    Timer,
}

/// Marks the manager closed however the driver ends (shutdown, the last
/// handle dropped, a runtime shutting down, a panic).
struct CloseOnDrop(Arc<Publication>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Drives `engine` until shutdown or until every handle is gone.
pub(crate) async fn run<R: Runtime>(
    mut engine: Engine,
    transport: impl AsyncTransport,
    mut commands: UnboundedReceiver<Command>,
) {
    let _closed = CloseOnDrop(Arc::clone(engine.publication()));
    // Dropping a send aborts it: once the core gave up on a request (its own
    // deadline), a transport that ignores its limits cannot pile sends up.
    let mut sending: Option<(Sent, Pending<'_, Answer>)> = None;
    let mut storing: Option<Pending<'static, Option<StoreOutcome>>> = None;
    let mut immediate = 0;
    loop {
        let now = Instant::now();
        engine.wake(now);
        if sending.as_ref().map(|(sent, _)| sent.id()) != engine.in_flight() {
            sending = None;
        }
        if storing.is_none()
            && let Some(job) = engine.store_job(now)
        {
            storing = Some(Box::pin(R::unblock(move || job.run())));
        }
        if let Some((sent, request, limits)) = engine.poll_request(now) {
            let sending_now = send(&transport, &sent, request, limits);
            sending = Some((sent, sending_now));
        }
        engine.settle(now);

        let deadline = engine.next_wake(now);
        // A deadline already due is acted on now rather than left to a timer
        // that a cooperative scheduler may hold back.
        if deadline <= Instant::now() {
            immediate += 1;
            if immediate < MAX_IMMEDIATE {
                continue;
            }
            tracing::warn!("the core keeps reporting a due deadline; napping");
            R::sleep_until(Instant::now() + Duration::from_millis(1)).await;
        }
        immediate = 0;

        let command = async { Wake::Command(commands.recv().await) };
        let answer = async {
            match sending.as_mut() {
                Some((_, answer)) => Wake::Answer(answer.await),
                None => std::future::pending().await,
            }
        };
        let stored = async {
            match storing.as_mut() {
                Some(outcome) => Wake::Stored(outcome.await),
                None => std::future::pending().await,
            }
        };
        let timer = async {
            R::sleep_until(deadline).await;
            Wake::Timer
        };
        match command.or(answer).or(stored).or(timer).await {
            Wake::Command(command) => {
                let now = Instant::now();
                match engine.apply(command.unwrap_or(Command::Shutdown), now) {
                    Applied::Continue => {}
                    Applied::Answer(answer) => {
                        // Published before answering, so the caller sees it.
                        engine.settle(now);
                        answer.send();
                    }
                    Applied::Stop => break,
                }
            }
            Wake::Answer(answer) => {
                if let Some((sent, _)) = sending.take() {
                    engine.feed(sent, answer);
                }
            }
            Wake::Stored(outcome) => {
                storing = None;
                engine.store_done(outcome);
            }
            Wake::Timer => {}
        }
    }
    drop(sending);
    engine.close();
    engine.settle(Instant::now());
    tracing::debug!("token manager stopped");
}

/// Sends a request; a transport that panics, when called or polled,
/// answers with a transport error instead of taking the driver down.
fn send<'a>(
    transport: &'a impl AsyncTransport,
    sent: &Sent,
    request: Request<Vec<u8>>,
    limits: Limits,
) -> Pending<'a, Answer> {
    let id = sent.id();
    let panicked = move || {
        tracing::warn!(request_id = id.get(), "the transport panicked");
        Err(TransportErrorKind::Other.into())
    };
    let span = sent.span().clone();
    let called =
        span.in_scope(|| catch_unwind(AssertUnwindSafe(|| transport.send(request, limits))));
    match called {
        Ok(sending) => Box::pin(
            async move {
                AssertUnwindSafe(sending)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| panicked())
            }
            .instrument(span),
        ),
        Err(_) => Box::pin(std::future::ready(panicked())),
    }
}
