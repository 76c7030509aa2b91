//! Validated configuration: where to authenticate, with which API key, and
//! the timing policy. Everything is checked in [`ConfigBuilder::build`], so a
//! bad setting fails before any traffic.

use std::fmt;
use std::time::Duration;

use http::Uri;

use crate::error::ConfigError;
use crate::secret::ApiKeySecret;

/// Environment variable holding the API base URL, e.g. `https://HOST/v1/rest`.
pub const ENV_API_URL: &str = "REVAULT_API_URL";
/// Environment variable holding the workspace.
pub const ENV_WORKSPACE: &str = "REVAULT_WORKSPACE";
/// Environment variable holding the API key id.
pub const ENV_API_KEY_ID: &str = "REVAULT_API_KEY_ID";
/// Environment variable holding the API key secret.
pub const ENV_API_KEY_SECRET: &str = "REVAULT_API_KEY_SECRET";

/// Largest response body the core accepts by default (64 KiB).
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// Timing and safety policy. The defaults suit revault-api's 300 s access
/// and 1800 s refresh tokens and scale down to 2 s test tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Refresh once this fraction of the access token's lifetime has passed.
    pub refresh_at: f64,
    /// Refresh up to this further fraction of the lifetime earlier, drawn
    /// from the seeded generator, so a fleet does not refresh in lockstep.
    pub jitter: f64,
    /// Stop handing a token out this long before it expires...
    pub safety_floor: Duration,
    /// ...or this fraction of its lifetime before, whichever is shorter.
    pub safety_floor_fraction: f64,
    /// The core's own deadline for each request.
    pub request_timeout: Duration,
    /// First backoff delay after a transient failure.
    pub backoff_base: Duration,
    /// Longest backoff delay.
    pub backoff_cap: Duration,
    /// Longest wait a `Retry-After` can impose, before the jitter of up to
    /// a fifth more that keeps a fleet from coming back at one instant. At
    /// least `backoff_base`, so a server answering 429 to everything gets
    /// at most one request per `backoff_base`.
    pub retry_after_cap: Duration,
    /// After a refusal (credentials rejected, a spec-shaped 400, a 404),
    /// callers fail at once and the core tries again after this long (plus
    /// a jitter of up to a fifth of the wait)...
    pub refused_retry_base: Duration,
    /// ...doubling after each refusal in a row, up to this.
    pub refused_retry_cap: Duration,
    /// Largest response body accepted.
    pub max_body: usize,
    /// Shortest lifetime accepted in a token response.
    pub min_lifetime: Duration,
    /// Longest lifetime accepted in a token response.
    pub max_lifetime: Duration,
    /// How far the wall clock may run ahead of the monotonic clock before
    /// the core concludes the machine was suspended.
    pub suspend_tolerance: Duration,
    /// Seed for jitter and backoff. `None` (the default): the seed the
    /// driver hands the core ([`AuthCore::new_seeded`](crate::AuthCore::new_seeded)),
    /// drawn from the operating system, so every manager of a fleet draws
    /// its own jitter. Set it for reproducible tests.
    pub seed: Option<u64>,
    /// Refresh a restored token ahead of expiry, at the refresh point saved
    /// with it (the default). `false` serves a restored token until its
    /// `usable_until` and asks for a new one only then: for a one-shot
    /// process (a command-line run that uses one token at once and exits),
    /// whose early refresh would spend the shared refresh token on a token
    /// the run never uses, and could be cut off by the exit before the new
    /// pair is saved. Tokens the core obtains itself are refreshed ahead
    /// either way.
    pub refresh_restored_ahead: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            refresh_at: 0.8,
            jitter: 0.05,
            safety_floor: Duration::from_secs(10),
            safety_floor_fraction: 0.1,
            request_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(300),
            refused_retry_base: Duration::from_secs(5 * 60),
            refused_retry_cap: Duration::from_secs(3600),
            max_body: DEFAULT_MAX_BODY,
            min_lifetime: Duration::from_secs(1),
            max_lifetime: Duration::from_secs(7 * 24 * 3600),
            suspend_tolerance: Duration::from_secs(2),
            seed: None,
            refresh_restored_ahead: true,
        }
    }
}

impl Policy {
    fn validate(&self) -> Result<(), ConfigError> {
        let fraction = |value: f64| value.is_finite() && value > 0.0 && value < 1.0;
        let check = |ok: bool, what: &'static str| {
            if ok {
                Ok(())
            } else {
                Err(ConfigError::InvalidPolicy(what))
            }
        };
        check(fraction(self.refresh_at), "refresh_at must be in (0, 1)")?;
        check(
            self.jitter.is_finite() && self.jitter >= 0.0 && self.jitter < self.refresh_at,
            "jitter must be in [0, refresh_at)",
        )?;
        check(
            fraction(self.safety_floor_fraction),
            "safety_floor_fraction must be in (0, 1)",
        )?;
        // The refresh point must come before the token stops being served,
        // or every token would be refreshed the moment it arrives.
        check(
            self.refresh_at + self.safety_floor_fraction < 1.0,
            "refresh_at + safety_floor_fraction must be below 1",
        )?;
        check(
            !self.request_timeout.is_zero() && self.request_timeout <= Duration::from_secs(3600),
            "request_timeout must be in (0, 1 h]",
        )?;
        check(
            !self.backoff_base.is_zero() && self.backoff_base <= self.backoff_cap,
            "backoff_base must be positive and at most backoff_cap",
        )?;
        check(
            self.backoff_cap <= Duration::from_secs(24 * 3600),
            "backoff_cap must be at most 24 h",
        )?;
        check(
            self.retry_after_cap >= self.backoff_base
                && self.retry_after_cap <= Duration::from_secs(24 * 3600),
            "retry_after_cap must be in [backoff_base, 24 h]",
        )?;
        check(
            !self.refused_retry_base.is_zero() && self.refused_retry_base <= self.refused_retry_cap,
            "refused_retry_base must be positive and at most refused_retry_cap",
        )?;
        check(
            self.refused_retry_cap <= Duration::from_secs(24 * 3600),
            "refused_retry_cap must be at most 24 h",
        )?;
        check(self.max_body >= 1024, "max_body must be at least 1 KiB")?;
        check(
            !self.min_lifetime.is_zero() && self.min_lifetime < self.max_lifetime,
            "min_lifetime must be positive and below max_lifetime",
        )?;
        check(
            self.max_lifetime <= Duration::from_secs(366 * 24 * 3600),
            "max_lifetime must be at most a year",
        )
    }
}

/// A validated configuration. Build one with [`Config::builder`] or
/// [`Config::from_env_with`].
#[derive(Clone)]
pub struct Config {
    pub(crate) token_uri: Uri,
    pub(crate) refresh_uri: Uri,
    pub(crate) workspace: String,
    pub(crate) api_key_id: String,
    pub(crate) api_key_secret: ApiKeySecret,
    pub(crate) policy: Policy,
    pub(crate) eager: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("token_uri", &self.token_uri)
            .field("workspace", &self.workspace)
            .field("api_key_id", &self.api_key_id)
            .field("api_key_secret", &self.api_key_secret)
            .field("policy", &self.policy)
            .field("eager", &self.eager)
            .finish()
    }
}

impl Config {
    /// Starts a builder. `api_url` is the API base, e.g.
    /// `https://HOST/v1/rest`; requests go to `{api_url}/auth/token` and
    /// `{api_url}/auth/token/refresh`.
    pub fn builder(
        api_url: impl Into<String>,
        workspace: impl Into<String>,
        api_key_id: impl Into<String>,
        api_key_secret: ApiKeySecret,
    ) -> ConfigBuilder {
        ConfigBuilder {
            api_url: api_url.into(),
            workspace: workspace.into(),
            api_key_id: api_key_id.into(),
            api_key_secret,
            policy: Policy::default(),
            eager: false,
        }
    }

    /// A builder filled from `REVAULT_API_URL`, `REVAULT_WORKSPACE`,
    /// `REVAULT_API_KEY_ID` and `REVAULT_API_KEY_SECRET`, looked up with
    /// `lookup` (pass `|name| std::env::var(name).ok()`; the core itself
    /// reads no environment).
    pub fn from_env_with(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ConfigBuilder, ConfigError> {
        let get = |name: &'static str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        Ok(Self::builder(
            get(ENV_API_URL)?,
            get(ENV_WORKSPACE)?,
            get(ENV_API_KEY_ID)?,
            ApiKeySecret::new(get(ENV_API_KEY_SECRET)?),
        ))
    }

    /// The timing policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// `{base}/auth/token`.
    pub fn token_uri(&self) -> &Uri {
        &self.token_uri
    }

    /// The workspace.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// The API key id (not secret).
    pub fn api_key_id(&self) -> &str {
        &self.api_key_id
    }
}

/// Builder for [`Config`].
#[derive(Debug)]
pub struct ConfigBuilder {
    api_url: String,
    workspace: String,
    api_key_id: String,
    api_key_secret: ApiKeySecret,
    policy: Policy,
    eager: bool,
}

impl ConfigBuilder {
    /// Replaces the whole policy.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Changes the policy in place.
    pub fn tune(mut self, change: impl FnOnce(&mut Policy)) -> Self {
        change(&mut self.policy);
        self
    }

    /// Authenticate as soon as the core exists instead of on first demand.
    pub fn eager(mut self, eager: bool) -> Self {
        self.eager = eager;
        self
    }

    /// Overrides the API base URL.
    pub fn api_url(mut self, api_url: impl Into<String>) -> Self {
        self.api_url = api_url.into();
        self
    }

    /// Overrides the workspace.
    pub fn workspace(mut self, workspace: impl Into<String>) -> Self {
        self.workspace = workspace.into();
        self
    }

    /// Overrides the API key id.
    pub fn api_key_id(mut self, api_key_id: impl Into<String>) -> Self {
        self.api_key_id = api_key_id.into();
        self
    }

    /// Overrides the API key secret.
    pub fn api_key_secret(mut self, secret: ApiKeySecret) -> Self {
        self.api_key_secret = secret;
        self
    }

    /// Checks everything and returns the configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        let (token_uri, refresh_uri) = crate::api_url::endpoints(&self.api_url)?;
        check_text(&self.workspace, "workspace")?;
        check_api_key(&self.api_key_id, &self.api_key_secret)?;
        self.policy.validate()?;
        Ok(Config {
            token_uri,
            refresh_uri,
            workspace: self.workspace,
            api_key_id: self.api_key_id,
            api_key_secret: self.api_key_secret,
            policy: self.policy,
            eager: self.eager,
        })
    }
}

/// A setting sent in a request body must be non-empty and printable.
fn check_text(value: &str, name: &'static str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        Err(ConfigError::Missing(name))
    } else if value.chars().any(char::is_control) {
        Err(ConfigError::ControlCharacters(name))
    } else {
        Ok(())
    }
}

pub(crate) fn check_api_key(id: &str, secret: &ApiKeySecret) -> Result<(), ConfigError> {
    check_text(id, "API key id")?;
    check_text(secret.expose_secret(), "API key secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(url: &str) -> Result<Config, ConfigError> {
        Config::builder(url, "ws", "key-id", ApiKeySecret::new("s3cr3t")).build()
    }

    #[test]
    fn endpoints_are_joined_to_the_base() {
        let config = build("https://api.example.com/v1/rest/").expect("valid");
        assert_eq!(
            config.token_uri.to_string(),
            "https://api.example.com/v1/rest/auth/token"
        );
        assert_eq!(
            config.refresh_uri.to_string(),
            "https://api.example.com/v1/rest/auth/token/refresh"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080/v1/rest",
            "http://127.5.6.7/v1/rest",
            "http://localhost:1/x",
            "http://[::1]:9/v1/rest",
        ] {
            assert!(build(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com/v1/rest",
            "http://10.0.0.1/v1/rest",
            "http://localhost.evil.com/",
        ] {
            assert!(
                matches!(build(bad), Err(ConfigError::InsecureUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_urls_are_rejected() {
        for bad in [
            "",
            "api.example.com",
            "ftp://x/",
            "https://user:pw@x/",
            "https://x/?a=1",
        ] {
            assert!(
                matches!(build(bad), Err(ConfigError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_credentials_are_rejected() {
        let error = Config::builder("https://x/v1/rest", " ", "id", ApiKeySecret::new("s"))
            .build()
            .expect_err("empty workspace");
        assert_eq!(error, ConfigError::Missing("workspace"));
        let error = Config::builder("https://x/v1/rest", "ws", "id", ApiKeySecret::new(""))
            .build()
            .expect_err("empty secret");
        assert_eq!(error, ConfigError::Missing("API key secret"));
    }

    #[test]
    fn policy_that_would_refresh_forever_is_rejected() {
        let error = Config::builder("https://x/", "ws", "id", ApiKeySecret::new("s"))
            .tune(|p| p.refresh_at = 0.95)
            .build()
            .expect_err("refresh after the floor");
        assert!(matches!(error, ConfigError::InvalidPolicy(_)));
    }

    #[test]
    fn from_env_reads_the_four_variables() {
        let env = |name: &str| match name {
            ENV_API_URL => Some("https://x/v1/rest".to_owned()),
            ENV_WORKSPACE => Some("ws".to_owned()),
            ENV_API_KEY_ID => Some("id".to_owned()),
            ENV_API_KEY_SECRET => Some("env-s3cr3t-value".to_owned()),
            _ => None,
        };
        let config = Config::from_env_with(env)
            .expect("all set")
            .build()
            .expect("valid");
        assert_eq!(config.workspace(), "ws");
        let missing = Config::from_env_with(|name| env(name).filter(|_| name != ENV_WORKSPACE));
        assert!(matches!(missing, Err(ConfigError::Missing(ENV_WORKSPACE))));
        let shown = format!("{config:?}");
        assert!(!shown.contains("env-s3cr3t"), "{shown}");
    }
}
