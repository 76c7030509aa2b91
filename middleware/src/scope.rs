//! Where the token may go: the API's origin (scheme, host, port) unless the
//! user widens it. A bearer token must not reach a third party through a
//! client that also talks to other hosts.

use http::Uri;

/// A scheme, host and port. Hosts compare without regard to case; a
/// missing port is the scheme's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// The origin of an absolute URI; `None` for a relative one.
    pub fn of(uri: &Uri) -> Option<Self> {
        Self::from_parts(uri.scheme_str()?, uri.host()?, uri.port_u16())
    }

    /// The origin of an absolute URL such as `https://api.example:8443/v1`.
    pub fn parse(url: &str) -> Option<Self> {
        Self::of(&url.parse().ok()?)
    }

    pub(crate) fn from_parts(scheme: &str, host: &str, port: Option<u16>) -> Option<Self> {
        let scheme = scheme.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        };
        Some(Self {
            port: port.or(default),
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase(),
            scheme,
        })
    }
}

/// The origins a layer sends the token to.
#[derive(Clone, Debug)]
pub(crate) enum Scope {
    Origins(Vec<Origin>),
    Anywhere,
}

impl Scope {
    pub(crate) fn api(api: &Uri) -> Self {
        Self::Origins(Origin::of(api).into_iter().collect())
    }

    pub(crate) fn allow(&mut self, origin: Origin) {
        if let Self::Origins(origins) = self {
            origins.push(origin);
        }
    }

    pub(crate) fn covers(&self, origin: Option<Origin>) -> bool {
        match (self, origin) {
            (Self::Anywhere, _) => true,
            (Self::Origins(origins), Some(origin)) => origins.contains(&origin),
            (Self::Origins(_), None) => false,
        }
    }
}
