//! Where an example gets its revault-api: the `REVAULT_*` variables when
//! any of them is set, otherwise an in-process emulator with 2 s tokens, so
//! that every example runs on a machine with no account. A set but broken
//! configuration is reported, never replaced by the emulator: a typo in the
//! URL must not look like a working setup.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use revault_auth::{ApiKeySecret, Config, ConfigError};
use revault_auth_mock::{MockConfig, MockServer};

/// The API an example talks to. Keep it alive as long as the example runs:
/// dropping it stops the emulator.
pub struct Api {
    pub config: Config,
    /// `{base}` of the API, e.g. `https://revault.example/v1/rest`.
    pub base_url: String,
    pub emulator: Option<MockServer>,
}

/// The API named by the environment, or an emulator when no `REVAULT_*`
/// variable is set.
pub fn api() -> Result<Api, Box<dyn std::error::Error>> {
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .collect();
    choose(&names, |name| std::env::var(name).ok())
}

/// [`api`] over a given environment: `names` are the variables set,
/// `lookup` reads one.
pub fn choose(
    names: &[String],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Api, Box<dyn std::error::Error>> {
    if names.iter().any(|name| name.starts_with("REVAULT_")) {
        let config = Config::from_env_with(&lookup)
            .and_then(|builder| builder.build())
            .map_err(|error| format!("REVAULT_* is set but unusable: {error}"))?;
        let base_url = lookup(revault_auth::ENV_API_URL)
            .ok_or(ConfigError::Missing(revault_auth::ENV_API_URL))?;
        return Ok(Api {
            config,
            base_url,
            emulator: None,
        });
    }
    let emulator = MockServer::start_background(
        MockConfig::default().with_ttls(Duration::from_secs(2), Duration::from_secs(60)),
    )?;
    let config = Config::builder(
        emulator.base_url(),
        MockConfig::DEFAULT_WORKSPACE,
        MockConfig::DEFAULT_API_KEY_ID,
        ApiKeySecret::new(MockConfig::DEFAULT_API_KEY_SECRET),
    )
    .build()?;
    Ok(Api {
        base_url: emulator.base_url(),
        config,
        emulator: Some(emulator),
    })
}
