//! A transport that ignores its limits and never answers: when the core's
//! request deadline passes, the driver aborts the send, so sends do not
//! pile up however long the transport hangs.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use revault_auth_core::http::{Request, Response};
use revault_auth_core::{ApiKeySecret, AsyncTransport, Config, Limits, TransportError};
use revault_auth_tokio::{TokenError, TokenManager};

/// Counts sends started and sends still alive (not yet dropped).
#[derive(Clone, Default)]
struct Hanging {
    started: Arc<AtomicUsize>,
    alive: Arc<AtomicUsize>,
}

struct Alive(Arc<AtomicUsize>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AsyncTransport for Hanging {
    fn send(
        &self,
        _: Request<Vec<u8>>,
        _: Limits,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.alive.fetch_add(1, Ordering::SeqCst);
        let alive = Alive(Arc::clone(&self.alive));
        async move {
            let _alive = alive;
            std::future::pending().await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_past_the_request_deadline_are_aborted() {
    let config = Config::builder(
        "https://revault.invalid/v1/rest",
        "workspace",
        "key",
        ApiKeySecret::new("hanging-transport-secret"),
    )
    .tune(|policy| {
        policy.request_timeout = Duration::from_millis(50);
        policy.backoff_base = Duration::from_millis(10);
        policy.backoff_cap = Duration::from_millis(20);
    })
    .build()
    .expect("config");
    let transport = Hanging::default();
    let manager = TokenManager::with_transport(config, transport.clone())
        .expect("runtime")
        .wait_timeout(Duration::from_millis(800));
    let waited = manager.token().await;
    assert!(
        matches!(waited, Err(TokenError::TimedOut { .. })),
        "{waited:?}"
    );

    let started = transport.started.load(Ordering::SeqCst);
    assert!(started >= 5, "the core kept retrying: {started} sends");
    let alive = transport.alive.load(Ordering::SeqCst);
    assert!(alive <= 1, "{alive} of {started} hanging sends still alive");
}
