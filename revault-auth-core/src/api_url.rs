//! The API base URL: what a base must not have, checked on the text before
//! parsing (so no error about a URL that does not parse echoes a password),
//! and how errors show a value (bounded, never the user information).

use std::net::IpAddr;

use http::Uri;

use crate::error::ConfigError;

/// Longest API URL accepted.
pub const MAX_API_URL_CHARS: usize = 2048;
/// The most of any value a configuration error shows.
pub const SHOWN_CHARS: usize = 80;

/// `value` as an error may show it: quoted, and cut to [`SHOWN_CHARS`]
/// characters (a 100 KB value is not echoed whole).
pub fn shown(value: &str) -> String {
    let count = value.chars().count();
    if count <= SHOWN_CHARS {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN_CHARS).collect();
        format!("{head:?}... ({count} characters)")
    }
}

/// The token and refresh endpoints under `api_url`, or why it cannot be a
/// base: not an absolute http(s) URL, a query, a fragment (every endpoint
/// appended would land in it), user information (refused without echoing
/// it), a port outside 1..=65535, or more than [`MAX_API_URL_CHARS`].
pub(crate) fn endpoints(api_url: &str) -> Result<(Uri, Uri), ConfigError> {
    let text = api_url.trim();
    let count = text.chars().count();
    if count > MAX_API_URL_CHARS {
        return Err(ConfigError::InvalidUrl(format!(
            "{count} characters long, at most {MAX_API_URL_CHARS}"
        )));
    }
    let (scheme, authority, tail) = split(text);
    let invalid = |why: &str| {
        let shown_url = match authority.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}...@{host}{tail}"),
            None => text.to_owned(),
        };
        ConfigError::InvalidUrl(format!("{why}: {}", shown(&shown_url)))
    };
    if authority.contains('@') {
        return Err(invalid(
            "the base URL must not carry user information (user:password@ is not shown)",
        ));
    }
    if tail.contains('#') {
        return Err(invalid("the base URL must not have a fragment ('#...')"));
    }
    // Digits only: integer parsing also takes a leading `+`, which no URL
    // parser downstream accepts as a port.
    let valid_port = |port: &str| {
        port.bytes().all(|byte| byte.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|port| port != 0)
    };
    if port_of(authority).is_some_and(|port| !valid_port(port)) {
        return Err(invalid("the port must be a number from 1 to 65535"));
    }
    let base: Uri = text.parse().map_err(|_| invalid("not a URL"))?;
    let scheme = base.scheme_str().ok_or_else(|| invalid("no scheme"))?;
    let host = base.host().ok_or_else(|| invalid("no host"))?;
    match scheme {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(ConfigError::InsecureUrl {
                host: bounded(host),
            });
        }
        _ => return Err(invalid("scheme must be http or https")),
    }
    if base.query().is_some() {
        return Err(invalid("the base URL must not have a query"));
    }
    let authority = base.authority().ok_or_else(|| invalid("no host"))?;
    let path = base.path().trim_end_matches('/');
    let join = |suffix: &str| -> Result<Uri, ConfigError> {
        format!("{scheme}://{authority}{path}{suffix}")
            .parse()
            .map_err(|_| invalid("cannot append the endpoint path"))
    };
    Ok((join("/auth/token")?, join("/auth/token/refresh")?))
}

/// True for `localhost`, 127.0.0.0/8 and `::1`: the only hosts plain HTTP
/// may reach.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `(scheme with "://", authority, rest)`; no scheme leaves all in `rest`.
fn split(text: &str) -> (&str, &str, &str) {
    let Some(at) = text.find("://") else {
        return ("", "", text);
    };
    let (scheme, rest) = text.split_at(at + 3);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    (scheme, authority, tail)
}

/// The port text after the host (an IPv6 literal's colons are not one).
fn port_of(authority: &str) -> Option<&str> {
    let after_host = match authority.rfind(']') {
        Some(end) => &authority[end + 1..],
        None => authority,
    };
    after_host.rsplit_once(':').map(|(_, port)| port)
}

/// At most [`SHOWN_CHARS`] characters of `value`, for a field an error
/// displays as is.
fn bounded(value: &str) -> String {
    let count = value.chars().count();
    if count <= SHOWN_CHARS {
        value.to_owned()
    } else {
        let head: String = value.chars().take(SHOWN_CHARS).collect();
        format!("{head}... ({count} characters)")
    }
}
