//! Secret-holding types: the API key secret, access tokens and refresh tokens.
//!
//! Each wraps a [`secrecy::SecretString`], so the bytes are zeroized on drop.
//! None implements `Display`; `Debug` prints the type name and a short
//! fingerprint (a hash of the secret) that lets logs correlate two mentions of
//! the same token without revealing it.

use std::fmt;
use std::time::Instant;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// FNV-1a, 32 bits: enough to tell tokens apart in a log, far too short to
/// help anyone recover one.
fn fingerprint(secret: &str) -> u32 {
    secret.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

macro_rules! secret_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a secret; the `String` is moved, not copied.
            pub fn new(secret: impl Into<String>) -> Self {
                Self(SecretString::from(secret.into()))
            }

            /// The secret itself. Every call site is a place where it can leak:
            /// keep them few.
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }

            /// A short hash for log correlation; never the secret.
            pub fn fingerprint(&self) -> u32 {
                fingerprint(self.0.expose_secret())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(redacted #{:08x})"), self.fingerprint())
            }
        }
    };
}

secret_newtype!(
    /// The `apiKeySecret` half of an API key.
    ApiKeySecret
);
secret_newtype!(
    /// A refresh token. Each one is sent at most once: the core drops it the
    /// moment the refresh request carrying it leaves.
    RefreshToken
);
secret_newtype!(
    /// The JWT itself, without its metadata.
    AccessTokenSecret
);

/// Which token this is, counted from 1 for the first token a core obtains.
///
/// Report a 401 from revault-api with the generation of the token that was
/// used ([`crate::AuthCore::handle_rejected`]); reports about an older
/// generation change nothing, so fifty failing calls cause one refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenGeneration(pub(crate) u64);

impl TokenGeneration {
    /// The number, for logs and metrics.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// A usable access token with its metadata and a ready `Authorization`
/// header value, built once when the token arrives so that readers never
/// allocate.
#[derive(Clone)]
pub struct AccessToken {
    pub(crate) secret: AccessTokenSecret,
    pub(crate) header: HeaderValue,
    pub(crate) generation: TokenGeneration,
    pub(crate) expires_at: Instant,
    pub(crate) usable_until: Instant,
    pub(crate) refresh_at: Instant,
}

impl AccessToken {
    /// The JWT.
    pub fn secret(&self) -> &AccessTokenSecret {
        &self.secret
    }

    /// Which token this is; pass it back when revault-api answers 401.
    pub fn generation(&self) -> TokenGeneration {
        self.generation
    }

    /// When revault-api stops accepting it (measured from when the request
    /// that obtained it was sent, so slightly early).
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// When the core stops handing it out: `expires_at` minus a safety floor,
    /// so a request started just before this still arrives in time.
    pub fn usable_until(&self) -> Instant {
        self.usable_until
    }

    /// When the core wants to replace it (blocking drivers refresh on the
    /// first call past this instant).
    pub fn refresh_at(&self) -> Instant {
        self.refresh_at
    }

    /// `Bearer <jwt>`, marked sensitive so `http`-aware loggers hide it.
    /// Cloning it is a reference-count increment, not a copy. Unlike the
    /// token itself it cannot be zeroized: that is the `http` crate's limit.
    pub fn header_value(&self) -> &HeaderValue {
        &self.header
    }
}

/// Builds the sensitive `Bearer` header value for a token.
pub(crate) fn bearer_header(secret: &AccessTokenSecret) -> HeaderValue {
    let text = Zeroizing::new(format!("Bearer {}", secret.expose_secret()));
    // The core only accepts tokens made of visible ASCII, so this cannot
    // fail; an empty value is the harmless fallback if it ever did.
    let mut value = HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &self.secret)
            .field("generation", &self.generation)
            .field("expires_at", &self.expires_at)
            .field("usable_until", &self.usable_until)
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_but_correlatable() {
        let a = RefreshToken::new("rt-very-secret-value");
        let b = RefreshToken::new("rt-very-secret-value");
        let shown = format!("{a:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.starts_with("RefreshToken(redacted #"));
        assert_eq!(shown, format!("{b:?}"));
        assert_ne!(shown, format!("{:?}", RefreshToken::new("another")));
    }
}
