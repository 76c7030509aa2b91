//! [`SessionKey`]: which account a stored session belongs to.

use revault_auth_core::SavedTokens;

/// A session's identity: the API it was obtained from and the account
/// (workspace, API key id) it belongs to. A store keeps one session per
/// key and only ever hands a session to the same key: a token obtained
/// from server A is never sent to server B, nor used for another API key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionKey {
    api_url: String,
    workspace: String,
    api_key_id: String,
}

impl SessionKey {
    /// The key for tokens obtained from `api_url` (the base URL, e.g.
    /// `https://host/v1/rest`) for `workspace` with API key `api_key_id`.
    /// The URL is compared after trimming white space and trailing `/`,
    /// with its scheme and host in lower case; anything else must match
    /// exactly.
    pub fn new(
        api_url: impl AsRef<str>,
        workspace: impl Into<String>,
        api_key_id: impl Into<String>,
    ) -> Self {
        Self {
            api_url: normalize_url(api_url.as_ref()),
            workspace: workspace.into(),
            api_key_id: api_key_id.into(),
        }
    }

    /// The normalized base URL.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The workspace.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// The API key id.
    pub fn api_key_id(&self) -> &str {
        &self.api_key_id
    }

    /// `tokens` name this key's account.
    pub fn owns(&self, tokens: &SavedTokens) -> bool {
        tokens.workspace == self.workspace && tokens.api_key_id == self.api_key_id
    }
}

/// Trims, drops trailing `/`, and lower-cases the scheme and authority
/// (which are case-insensitive), leaving the path as it is.
fn normalize_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!(
                "{}://{}{path}",
                scheme.to_ascii_lowercase(),
                authority.to_ascii_lowercase()
            )
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_spellings_of_one_url_are_one_key() {
        let a = SessionKey::new("HTTPS://Api.Example/v1/rest/", "w", "k");
        let b = SessionKey::new(" https://api.example/v1/rest", "w", "k");
        assert_eq!(a, b);
        assert_eq!(a.api_url(), "https://api.example/v1/rest");
        assert_ne!(a, SessionKey::new("https://api.example/v1/REST", "w", "k"));
        assert_ne!(
            a,
            SessionKey::new("https://api.example:8443/v1/rest", "w", "k")
        );
    }
}
