//! [`TokenSource`]: what a client layer needs from a token manager.

use std::future::Future;
use std::sync::Arc;

use revault_auth_core::http::Uri;
use revault_auth_core::{AccessToken, TokenError};

use crate::TokenRef;

/// A token manager as the middleware sees it, implemented by the tokio,
/// async-std/smol and ureq managers (and by `Arc` of any of them).
pub trait TokenSource: Send + Sync + 'static {
    /// A valid token to keep for one call, with its ready `Authorization`
    /// header value ([`TokenRef::header_value`]): at once when one is
    /// published, otherwise after waiting like the manager's own `token()`.
    /// Never blocks the calling thread.
    fn token(&self) -> impl Future<Output = Result<TokenRef, TokenError>> + Send;

    /// revault-api answered 401 to a call made with `token`: withdraw it
    /// (if still served) and tell the core. Returns whether it was served.
    fn invalidate(&self, token: &AccessToken) -> bool;

    /// The API's token endpoint: the token belongs to its origin.
    fn api(&self) -> &Uri;
}

impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    fn token(&self) -> impl Future<Output = Result<TokenRef, TokenError>> + Send {
        (**self).token()
    }

    fn invalidate(&self, token: &AccessToken) -> bool {
        (**self).invalidate(token)
    }

    fn api(&self) -> &Uri {
        (**self).api()
    }
}
