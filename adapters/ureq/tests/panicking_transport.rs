//! A transport that panics costs one failed request: the next caller
//! drives again and gets a token from the emulator.

use std::sync::atomic::{AtomicBool, Ordering};

use revault_auth_core::http::{Request, Response};
use revault_auth_core::{ApiKeySecret, BlockingTransport, Config, Limits, TransportError};
use revault_auth_mock::{MockConfig, MockServer};
use revault_auth_ureq::{BlockingTokenManager, UreqTransport};

/// Panics on its first send, then hands requests to ureq.
struct PanicsOnce {
    inner: UreqTransport,
    panicked: AtomicBool,
}

impl BlockingTransport for PanicsOnce {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let first = !self.panicked.swap(true, Ordering::SeqCst);
        assert!(!first, "a transport that panics");
        self.inner.send(request, limits)
    }
}

#[test]
fn a_panicking_transport_costs_one_failed_request() {
    let server = MockServer::start_background(MockConfig::default()).expect("emulator");
    let mock = server.config().clone();
    let secret = ApiKeySecret::new(mock.api_key_secret);
    let config = Config::builder(server.base_url(), mock.workspace, mock.api_key_id, secret);
    let transport = PanicsOnce {
        inner: UreqTransport::new(),
        panicked: AtomicBool::new(false),
    };
    let manager = BlockingTokenManager::with_transport(config.build().expect("config"), transport)
        .expect("manager");
    let token = manager.token_owned().expect("a token after the panic");
    assert_eq!(token.generation().get(), 1);
    assert_eq!(
        server.token_requests(),
        1,
        "the panicked send never reached it"
    );
}
