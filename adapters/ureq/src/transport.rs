//! The default transport: ureq 3, no redirects, capped bodies, no plain
//! `http://` off loopback, no proxy for plain http to loopback.

use std::io::Read;

use revault_auth_core::http::{Request, Response};
use revault_auth_core::{
    BlockingTransport, Limits, TransportError, TransportErrorKind, is_loopback,
};
use ureq::tls::{RootCerts, TlsConfig};
use zeroize::Zeroize;

/// The default transport: a ureq 3 [`ureq::Agent`] that never follows
/// redirects, answers 3xx/4xx/5xx as responses, times out after the
/// policy's request timeout and reads at most `max_body` bytes. Refuses
/// plain `http://` to a host that is not loopback. A plain `http://`
/// request to loopback never goes through a proxy, whatever the environment
/// (`HTTP_PROXY`, `ALL_PROXY`, ...) or the agent says: plain http is allowed
/// there only because the peer is this machine, and a proxy may be another
/// one.
#[derive(Clone, Debug)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl UreqTransport {
    /// A transport with its own agent, trusting the platform's certificate
    /// roots (a private CA installed on the system, or named by
    /// `SSL_CERT_FILE`, is trusted), or with the `webpki-roots` feature the
    /// bundled Mozilla roots.
    pub fn new() -> Self {
        let roots = if cfg!(feature = "webpki-roots") {
            RootCerts::WebPki
        } else {
            RootCerts::PlatformVerifier
        };
        let config = ureq::Agent::config_builder()
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .max_redirects(0)
            .http_status_as_error(false)
            .build();
        Self::with_agent(ureq::Agent::new_with_config(config))
    }

    /// A transport over your agent; the rules above are applied to each
    /// request, whatever the agent's own configuration.
    pub fn with_agent(agent: ureq::Agent) -> Self {
        Self { agent }
    }
}

impl BlockingTransport for UreqTransport {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        let uri = request.uri();
        let plain_loopback =
            uri.scheme_str() == Some("http") && uri.host().is_some_and(is_loopback);
        if uri.scheme_str() != Some("https") && !plain_loopback {
            return Err(TransportErrorKind::Other.into());
        }
        let mut configure = self.agent.configure_request(request);
        if plain_loopback {
            configure = configure.proxy(None);
        }
        let request = configure
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(limits.timeout))
            .build();
        let (parts, body) = self.agent.run(request).map_err(kind)?.into_parts();
        let cap = u64::try_from(limits.max_body).unwrap_or(u64::MAX);
        let mut bytes = Vec::new();
        let read = body
            .into_reader()
            .take(cap.saturating_add(1))
            .read_to_end(&mut bytes);
        let refused = match read {
            Err(error) => kind(ureq::Error::from(error)),
            Ok(_) if bytes.len() > limits.max_body => TransportErrorKind::BodyTooLarge.into(),
            Ok(_) => return Ok(Response::from_parts(parts, bytes)),
        };
        bytes.zeroize();
        Err(refused)
    }
}

/// Maps a ureq error to a kind, with the error's source chain as the cause
/// ([`TransportError::with_cause`] strips URLs of anything but their origin
/// and path).
fn kind(error: ureq::Error) -> TransportError {
    let kind = classify(&error);
    TransportError::with_cause(kind, &error)
}

fn classify(error: &ureq::Error) -> TransportErrorKind {
    use std::io::ErrorKind;
    match error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::Tls(_) => {
            TransportErrorKind::Connect
        }
        ureq::Error::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        ureq::Error::Io(error) => match error.kind() {
            ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable => {
                TransportErrorKind::Connect
            }
            ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Io,
        },
        ureq::Error::Protocol(_) => TransportErrorKind::Io,
        _ => TransportErrorKind::Other,
    }
}
