//! A transport that panics, when called or when polled, costs one failed
//! request: the driver thread lives on, retries, and the caller gets a
//! token from the emulator; a forced refresh later shows the driver alive.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use revault_auth_async_std::{TokenManager, UreqTransport};
use revault_auth_core::http::{Request, Response};
use revault_auth_core::{ApiKeySecret, AsyncTransport, Config, Limits, TransportError};
use revault_auth_mock::{MockConfig, MockServer};

/// Panics on its first `panics` sends (when called, or when first polled),
/// then hands requests to ureq.
struct Panicky {
    inner: UreqTransport,
    panics: AtomicU64,
    when_polled: bool,
}

impl AsyncTransport for Panicky {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send {
        let panic = (self.panics)
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        assert!(
            !panic || self.when_polled,
            "a transport that panics when called"
        );
        let sending = (!panic).then(|| self.inner.send(request, limits));
        async move {
            match sending {
                Some(sending) => sending.await,
                None => panic!("a transport that panics when polled"),
            }
        }
    }
}

fn survives(when_polled: bool) {
    smol::block_on(async {
        let server = MockServer::start_background(MockConfig::default()).expect("emulator");
        let mock = server.config().clone();
        let secret = ApiKeySecret::new(mock.api_key_secret);
        let config = Config::builder(server.base_url(), mock.workspace, mock.api_key_id, secret);
        let transport = Panicky {
            inner: UreqTransport::new(),
            panics: AtomicU64::new(2),
            when_polled,
        };
        let manager = TokenManager::with_transport(config.build().expect("config"), transport)
            .expect("driver");
        let token = manager
            .token_owned()
            .await
            .expect("a token after the panics");
        assert_eq!(token.generation().get(), 1);
        assert_eq!(
            server.token_requests(),
            1,
            "the panicked sends never reached it"
        );
        manager.force_refresh();
        let next = manager.token_owned().await.expect("the driver is alive");
        assert_eq!(next.generation().get(), 2);
        assert_eq!(server.refresh_requests(), 1);
    });
}

#[test]
fn a_transport_panicking_when_called_does_not_kill_the_driver() {
    survives(false);
}

#[test]
fn a_transport_panicking_when_polled_does_not_kill_the_driver() {
    survives(true);
}
