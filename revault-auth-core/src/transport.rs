//! The seam between drivers and HTTP clients: one blocking and one async
//! trait, from an `http::Request` to an `http::Response` with a capped body.
//! Defined here, with no runtime attached, so that every adapter and the
//! test kit share them.

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

use crate::request::Transmit;
use crate::transport_error::TransportError;

/// What a transport must enforce on one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Give up after this long.
    pub timeout: Duration,
    /// Read at most this many body bytes; past that, fail with
    /// [`crate::TransportErrorKind::BodyTooLarge`].
    pub max_body: usize,
}

impl Transmit {
    /// The limits the core set for this request.
    pub fn limits(&self) -> Limits {
        Limits {
            timeout: self.timeout,
            max_body: self.max_body,
        }
    }
}

/// A blocking HTTP client. Implementations must not follow redirects.
pub trait BlockingTransport: Send + Sync + 'static {
    /// Sends `request` and reads the answer within `limits`. A failure
    /// carries the client's own message as its cause, sanitised by
    /// [`TransportError::with_cause`].
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> Result<Response<Vec<u8>>, TransportError>;
}

/// An async HTTP client. Implementations must not follow redirects.
pub trait AsyncTransport: Send + Sync + 'static {
    /// Sends `request` and reads the answer within `limits`. A failure
    /// carries the client's own message as its cause, sanitised by
    /// [`TransportError::with_cause`].
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send;
}
