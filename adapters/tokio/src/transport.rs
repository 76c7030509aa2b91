//! The default transport: reqwest 0.13, no redirects, capped bodies, no
//! proxy for plain http to loopback.

use std::future::Future;
use std::sync::OnceLock;

use revault_auth_core::http::{Request, Response};
use revault_auth_core::{AsyncTransport, Limits, TransportError, TransportErrorKind, is_loopback};

/// The default transport: a `reqwest` client behind [`AsyncTransport`]
/// (for [`TokenManager::builder`](crate::TokenManager::builder)). reqwest
/// needs tokio's reactor: drive it on a tokio runtime only.
///
/// A plain `http://` request to loopback never goes through a proxy,
/// whatever the environment (`HTTP_PROXY`, `ALL_PROXY`, ...) or the
/// caller's client says: plain http is allowed there only because the peer
/// is this machine, and a proxy may be another one. Such requests go
/// through a client of our own (no proxy, no redirects), even when you
/// pass yours; everything else (https, whatever the host) uses the
/// client's settings and proxies.
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    /// The client for loopback, without any proxy; built on first use.
    direct: OnceLock<reqwest::Client>,
}

impl ReqwestTransport {
    /// A client that never follows redirects.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self::from_client(client))
    }

    /// The caller's client. If it follows redirects, a redirect is still
    /// never honoured: see the crate docs. Plain `http://` to loopback
    /// does not use it (see above).
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            client,
            direct: OnceLock::new(),
        }
    }

    /// The client for `request`: one without any proxy for plain http to
    /// loopback.
    fn client_for(&self, request: &Request<Vec<u8>>) -> Result<&reqwest::Client, TransportError> {
        let uri = request.uri();
        let plain_loopback =
            uri.scheme_str() == Some("http") && uri.host().is_some_and(is_loopback);
        if !plain_loopback {
            return Ok(&self.client);
        }
        if let Some(direct) = self.direct.get() {
            return Ok(direct);
        }
        let direct = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|error| TransportError::with_cause(TransportErrorKind::Other, &error))?;
        Ok(self.direct.get_or_init(|| direct))
    }
}

impl AsyncTransport for ReqwestTransport {
    fn send(
        &self,
        request: Request<Vec<u8>>,
        limits: Limits,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send {
        let client = self.client_for(&request);
        async move {
            let client = client?;
            tokio::time::timeout(limits.timeout, exchange(client, request, limits))
                .await
                .unwrap_or(Err(TransportErrorKind::Timeout.into()))
        }
    }
}

/// One exchange. Redirects are never honoured, whatever the client's policy:
/// the body goes in as a stream reqwest cannot replay, so a 307/308 comes
/// back as it is instead of carrying the credentials elsewhere, and an answer
/// from another URL than the one requested (a 301/302/303 followed with a
/// GET) is refused.
async fn exchange(
    client: &reqwest::Client,
    request: Request<Vec<u8>>,
    limits: Limits,
) -> Result<Response<Vec<u8>>, TransportError> {
    let (parts, body) = request.into_parts();
    // The core's bodies are JSON; `String` is an `http_body::Body`.
    let body = String::from_utf8(body).map_err(|_| TransportErrorKind::Other)?;
    let request = Request::from_parts(parts, reqwest::Body::wrap(body));
    let mut request = reqwest::Request::try_from(request)
        .map_err(|error| TransportError::with_cause(TransportErrorKind::Other, &error))?;
    *request.timeout_mut() = Some(limits.timeout);
    let url = request.url().clone();

    let mut response = client.execute(request).await.map_err(classify)?;
    if response.url() != &url {
        tracing::warn!(
            status = response.status().as_u16(),
            "the HTTP client followed a redirect; answer refused"
        );
        return Err(TransportErrorKind::Other.into());
    }
    let too_large = || {
        tracing::debug!(limit = limits.max_body, "response body too large; refused");
        TransportError::from(TransportErrorKind::BodyTooLarge)
    };
    let max_body = u64::try_from(limits.max_body).unwrap_or(u64::MAX);
    if response
        .content_length()
        .is_some_and(|length| length > max_body)
    {
        return Err(too_large());
    }
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if chunk.len() > limits.max_body - body.len() {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let mut answer = Response::new(body);
    *answer.status_mut() = status;
    *answer.version_mut() = version;
    *answer.headers_mut() = headers;
    Ok(answer)
}

/// Maps a reqwest error to a kind, with the error's source chain as the
/// cause ([`TransportError::with_cause`] strips URLs of anything but their
/// origin and path).
fn classify(error: reqwest::Error) -> TransportError {
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() || error.is_request() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    TransportError::with_cause(kind, &error)
}
