//! What `get -X METHOD -d DATA -H 'Name: value'` sends, checked before any
//! traffic, and how long a `Retry-After` asks to wait.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime};

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};

use crate::failure::Failure;
use crate::settings::shown;

/// Largest request body read from a file or standard input.
const MAX_DATA: u64 = 64 * 1024 * 1024;

/// The method, extra headers and body of every attempt (the body is held
/// in memory, so a retry sends it again whole).
#[derive(Debug)]
pub(crate) struct RequestSpec {
    pub(crate) method: Method,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Vec<u8>>,
}

impl RequestSpec {
    /// `method` (default GET, or POST with data), `data` (`@file`, `-` for
    /// standard input, else the text itself) and `headers`.
    pub(crate) fn new(
        method: Option<&str>,
        data: Option<&str>,
        headers: &[String],
    ) -> Result<Self, Failure> {
        let method = match method {
            Some(method) => Method::from_bytes(method.as_bytes()).map_err(|_| {
                Failure::usage(format!("invalid method {} (see --help)", shown(method)))
            })?,
            None if data.is_some() => Method::POST,
            None => Method::GET,
        };
        let mut map = HeaderMap::new();
        for header in headers {
            let (name, value) = parse_header(header)?;
            map.append(name, value);
        }
        let body = data.map(read_data).transpose()?;
        Ok(Self {
            method,
            headers: map,
            body,
        })
    }
}

fn parse_header(header: &str) -> Result<(HeaderName, HeaderValue), Failure> {
    let invalid = |why: &str| Failure::usage(format!("invalid -H header: {why}"));
    let (name, value) = header
        .split_once(':')
        .ok_or_else(|| invalid("expected 'Name: value'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| invalid("the name is not a header name"))?;
    if name == AUTHORIZATION {
        // Its value is not echoed: it may be a credential.
        return Err(Failure::usage(
            "-H cannot set Authorization: the CLI sends the bearer token itself",
        ));
    }
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| invalid("the value holds characters a header cannot carry"))?;
    Ok((name, value))
}

fn read_data(data: &str) -> Result<Vec<u8>, Failure> {
    let cannot = |from: &str, error: std::io::Error| {
        Failure::usage(format!("cannot read the -d data from {from}: {error}"))
    };
    let mut bytes = Vec::new();
    if data == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_DATA + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| cannot("standard input", error))?;
    } else if let Some(path) = data.strip_prefix('@') {
        let shown = Path::new(path).display().to_string();
        let file = std::fs::File::open(path).map_err(|error| cannot(&shown, error))?;
        file.take(MAX_DATA + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| cannot(&shown, error))?;
    } else {
        bytes = data.as_bytes().to_vec();
    }
    if bytes.len() as u64 > MAX_DATA {
        return Err(Failure::usage(format!(
            "the -d data is larger than {} MiB",
            MAX_DATA / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// The wait a `Retry-After` header asks for: delta-seconds or an HTTP
/// date (a date in the past asks for none).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        // Too many digits for a u64 is a very long wait, not none.
        return Some(text.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let until = httpdate::parse_http_date(text).ok()?;
    Some(
        until
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}
