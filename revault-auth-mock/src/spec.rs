//! What the spec fixes about the API the emulator serves: the base path,
//! the auth endpoints and the error body schema. Every other module reads
//! these facts from here.

use http::StatusCode;
use serde_json::{Map, Value, json};

/// Base path of every route.
pub const BASE_PATH: &str = "/v1/rest";

/// One of the two auth endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /auth/token` (authenticate with API key credentials).
    Token,
    /// `POST /auth/token/refresh` (exchange a refresh token).
    Refresh,
}

impl Endpoint {
    /// Path of the endpoint relative to the base URL, e.g. `/auth/token`.
    pub fn path(self) -> &'static str {
        match self {
            Self::Token => "/auth/token",
            Self::Refresh => "/auth/token/refresh",
        }
    }
}

/// The spec's `code` for `status`: its reason phrase in capitals.
fn code_for(status: u16) -> String {
    match status {
        420 => "ENHANCE_YOUR_CALM".to_owned(),
        _ => StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map(|reason| {
                reason
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_uppercase()
                        } else {
                            '_'
                        }
                    })
                    .collect()
            })
            .unwrap_or_else(|| format!("HTTP_{status}")),
    }
}

/// JSON error body following the spec's error schema.
pub(crate) fn error_body(status: u16, message: &str, issues: Option<&[String]>) -> Vec<u8> {
    let mut body = Map::new();
    body.insert("message".to_owned(), Value::from(message));
    body.insert("code".to_owned(), Value::from(code_for(status)));
    if let Some(issues) = issues {
        let issues = issues.iter().map(|m| json!({ "message": m })).collect();
        body.insert("issues".to_owned(), Value::Array(issues));
    }
    serde_json::to_vec(&Value::Object(body)).unwrap_or_else(|_| b"{}".to_vec())
}
