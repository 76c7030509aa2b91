//! The scripted server as a transport, so the real adapters can run against
//! it with no network: hand a [`ScriptedTransport`] to an adapter's
//! `with_transport` in your own unit tests.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use http::{Request, Response};

use crate::error::TransportErrorKind;
use crate::testing::server::{Answer, ScriptedServer};
use crate::transport::{AsyncTransport, BlockingTransport, Limits};
use crate::transport_error::TransportError;

/// A [`ScriptedServer`] behind both transport traits. The wall clock comes
/// from `clock` (adapters pass `SystemTime::now`; the core reads no clock).
#[derive(Clone)]
pub struct ScriptedTransport {
    server: Arc<Mutex<ScriptedServer>>,
    clock: Arc<dyn Fn() -> SystemTime + Send + Sync>,
}

impl std::fmt::Debug for ScriptedTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedTransport").finish_non_exhaustive()
    }
}

impl ScriptedTransport {
    /// Wraps `server`; `clock` tells it the wall time.
    pub fn new(
        server: ScriptedServer,
        clock: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> Self {
        Self {
            server: Arc::new(Mutex::new(server)),
            clock: Arc::new(clock),
        }
    }

    /// The server, to script answers or read its counters.
    pub fn server(&self) -> MutexGuard<'_, ScriptedServer> {
        self.server.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn exchange(&self, request: &Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let wall = (self.clock)();
        match self.server().answer(request, wall) {
            Answer::Response(response) => Ok(response),
            Answer::TransportError(kind) => Err(kind.into()),
            Answer::Silence => Err(TransportErrorKind::Timeout.into()),
        }
    }
}

impl BlockingTransport for ScriptedTransport {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        _limits: Limits,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        self.exchange(&request)
    }
}

impl AsyncTransport for ScriptedTransport {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        _limits: Limits,
    ) -> impl std::future::Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send {
        std::future::ready(self.exchange(&request))
    }
}
