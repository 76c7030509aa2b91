//! The two requests the core sends, as `http::Request`s ready for any client.

use std::fmt;
use std::time::Duration;

use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request};
use serde::Serialize;
use zeroize::Zeroize;

use crate::config::Config;
use crate::secret::RefreshToken;

/// Correlates a [`Transmit`] with its answer. Ids are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub(crate) u64);

impl RequestId {
    /// The number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Which endpoint a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// `POST {base}/auth/token` with the API key.
    Authenticate,
    /// `POST {base}/auth/token/refresh` with the refresh token.
    Refresh,
}

/// A request the driver must send, then report back with
/// [`crate::AuthCore::handle_response`] or
/// [`crate::AuthCore::handle_transport_error`], quoting `id`.
///
/// The body holds a secret (the API key secret or a refresh token): `Debug`
/// never prints it, and the body is zeroized if the `Transmit` is dropped
/// unsent. Once the driver moves the request into an HTTP client, what that
/// client copies is beyond our reach.
pub struct Transmit {
    /// Quote it with the answer.
    pub id: RequestId,
    /// Which endpoint.
    pub purpose: Purpose,
    /// Give up on the answer after this long (the core enforces its own
    /// deadline too, so a driver that forgets cannot wedge it).
    pub timeout: Duration,
    /// Largest body the driver should read; stop and report
    /// [`crate::TransportErrorKind::BodyTooLarge`] past it.
    pub max_body: usize,
    request: Option<Request<Vec<u8>>>,
}

impl Transmit {
    /// The request, to hand to an HTTP client. Redirects must not be followed.
    pub fn into_request(mut self) -> Request<Vec<u8>> {
        self.request.take().unwrap_or_default()
    }

    /// The request, borrowed (for drivers that copy it into their client).
    pub fn request(&self) -> Option<&Request<Vec<u8>>> {
        self.request.as_ref()
    }
}

impl Drop for Transmit {
    fn drop(&mut self) {
        if let Some(request) = self.request.as_mut() {
            request.body_mut().zeroize();
        }
    }
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Transmit");
        debug.field("id", &self.id).field("purpose", &self.purpose);
        if let Some(request) = &self.request {
            debug
                .field("method", request.method())
                .field("uri", request.uri())
                .field(
                    "body",
                    &format_args!("<{} bytes redacted>", request.body().len()),
                );
        }
        debug.field("timeout", &self.timeout).finish()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticateBody<'a> {
    workspace: &'a str,
    api_key_id: &'a str,
    api_key_secret: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefreshBody<'a> {
    workspace: &'a str,
    refresh_token: &'a str,
}

pub(crate) fn authenticate(config: &Config, id: RequestId) -> Transmit {
    let body = AuthenticateBody {
        workspace: &config.workspace,
        api_key_id: &config.api_key_id,
        api_key_secret: config.api_key_secret.expose_secret(),
    };
    build(config, id, Purpose::Authenticate, serde_json::to_vec(&body))
}

pub(crate) fn refresh(config: &Config, id: RequestId, token: &RefreshToken) -> Transmit {
    let body = RefreshBody {
        workspace: &config.workspace,
        refresh_token: token.expose_secret(),
    };
    build(config, id, Purpose::Refresh, serde_json::to_vec(&body))
}

fn build(
    config: &Config,
    id: RequestId,
    purpose: Purpose,
    body: Result<Vec<u8>, serde_json::Error>,
) -> Transmit {
    // Serializing a struct of `&str` into a Vec cannot fail; an empty body
    // would be answered 400, which is the right outcome if it ever did.
    let mut request = Request::new(body.unwrap_or_default());
    *request.method_mut() = Method::POST;
    *request.uri_mut() = match purpose {
        Purpose::Authenticate => config.token_uri.clone(),
        Purpose::Refresh => config.refresh_uri.clone(),
    };
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!("revault-auth/", env!("CARGO_PKG_VERSION"))),
    );
    Transmit {
        id,
        purpose,
        timeout: config.policy.request_timeout,
        max_body: config.policy.max_body,
        request: Some(request),
    }
}
