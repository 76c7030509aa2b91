//! A send that panics is a failed request for the core, at once (not after
//! its request deadline), and the manager goes on: the next attempt reaches
//! the emulator and the caller gets a token.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use revault_auth_core::http::{Request, Response};
use revault_auth_core::{ApiKeySecret, AsyncTransport, Config, Limits, TransportError};
use revault_auth_mock::{MockConfig, MockServer};
use revault_auth_tokio::{ReqwestTransport, TokenManager};

/// Panics when its first send is polled, then hands requests to reqwest.
struct PanicsOnce {
    inner: ReqwestTransport,
    panicked: AtomicBool,
}

impl AsyncTransport for PanicsOnce {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send {
        let panic = !self.panicked.swap(true, Ordering::SeqCst);
        let sending = (!panic).then(|| self.inner.send(request, limits));
        async move {
            match sending {
                Some(sending) => sending.await,
                None => panic!("a transport that panics"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_send_is_retried_and_the_manager_goes_on() {
    let transport = PanicsOnce {
        inner: ReqwestTransport::new().expect("client"),
        panicked: AtomicBool::new(false),
    };
    let server = MockServer::start(MockConfig::default())
        .await
        .expect("emulator");
    let mock = server.config().clone();
    let secret = ApiKeySecret::new(mock.api_key_secret);
    let config = Config::builder(server.base_url(), mock.workspace, mock.api_key_id, secret);
    let manager =
        TokenManager::with_transport(config.build().expect("config"), transport).expect("runtime");
    let started = Instant::now();
    let token = manager
        .token_owned()
        .await
        .expect("a token after the panic");
    assert_eq!(token.generation().get(), 1);
    assert_eq!(
        server.token_requests(),
        1,
        "the panicked send never reached it"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "retried on the backoff, not after the 10 s request deadline"
    );
}
