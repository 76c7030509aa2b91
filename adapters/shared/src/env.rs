//! A configuration from the environment: `REVAULT_API_URL`,
//! `REVAULT_WORKSPACE`, `REVAULT_API_KEY_ID`, and the API key secret from
//! `REVAULT_API_KEY_SECRET` or, when that is unset, from the file
//! `REVAULT_API_KEY_SECRET_FILE` names (read as [`read_secret_file`]
//! says). Both set is a configuration error: which one wins would be a
//! guess.

use std::ffi::OsString;
use std::path::PathBuf;

use revault_auth_core::{
    ApiKeySecret, Config, ConfigBuilder, ConfigError, ENV_API_KEY_ID, ENV_API_KEY_SECRET,
    ENV_API_KEY_SECRET_FILE, ENV_API_URL, ENV_WORKSPACE,
};

use crate::secret_file::{SecretFromFile, read_secret_file};

/// The API key secret the environment gave, and the file it came from.
#[derive(Debug)]
pub enum FoundSecret {
    /// From `REVAULT_API_KEY_SECRET`.
    Variable(ApiKeySecret),
    /// From the file `REVAULT_API_KEY_SECRET_FILE` names.
    File(SecretFromFile),
}

impl FoundSecret {
    /// The secret.
    pub fn secret(&self) -> &ApiKeySecret {
        match self {
            Self::Variable(secret) => secret,
            Self::File(file) => file.secret(),
        }
    }

    /// The secret, moved out.
    pub fn into_secret(self) -> ApiKeySecret {
        match self {
            Self::Variable(secret) => secret,
            Self::File(file) => file.into_secret(),
        }
    }

    /// A warning about the secret file (open to others), if any.
    pub fn warning(&self) -> Option<String> {
        match self {
            Self::Variable(_) => None,
            Self::File(file) => file.warning(),
        }
    }
}

/// [`config_from_vars`] over the process environment. A secret file open
/// to others is used, with a `tracing` warning.
pub fn config_from_env() -> Result<ConfigBuilder, ConfigError> {
    config_from_vars(|name| std::env::var_os(name))
}

/// A configuration builder from the four settings `lookup` returns (the
/// variables' values); see the module docs.
pub fn config_from_vars(
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<ConfigBuilder, ConfigError> {
    let required = |name: &'static str| {
        text(&lookup, name)?
            .filter(|value| !value.trim().is_empty())
            .ok_or(ConfigError::Missing(name))
    };
    let api_url = required(ENV_API_URL)?;
    let workspace = required(ENV_WORKSPACE)?;
    let api_key_id = required(ENV_API_KEY_ID)?;
    let found =
        api_key_secret_from_vars(&lookup)?.ok_or(ConfigError::Missing(ENV_API_KEY_SECRET))?;
    if let Some(warning) = found.warning() {
        tracing::warn!(target: "revault_auth", "{warning}");
    }
    Ok(Config::builder(
        api_url,
        workspace,
        api_key_id,
        found.into_secret(),
    ))
}

/// The API key secret from `REVAULT_API_KEY_SECRET` or the file
/// `REVAULT_API_KEY_SECRET_FILE` names; `None` when neither is set (an
/// empty value counts as unset).
pub fn api_key_secret_from_vars(
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<Option<FoundSecret>, ConfigError> {
    let secret = text(&lookup, ENV_API_KEY_SECRET)?.filter(|value| !value.is_empty());
    let file = lookup(ENV_API_KEY_SECRET_FILE).filter(|value| !value.is_empty());
    match (secret, file) {
        (Some(_), Some(_)) => Err(ConfigError::Conflicting(
            ENV_API_KEY_SECRET,
            ENV_API_KEY_SECRET_FILE,
        )),
        (Some(secret), None) => Ok(Some(FoundSecret::Variable(ApiKeySecret::new(secret)))),
        (None, Some(path)) => {
            let read = read_secret_file(&PathBuf::from(path)).map_err(|error| {
                ConfigError::SecretFile(format!("{ENV_API_KEY_SECRET_FILE}: {error}"))
            })?;
            Ok(Some(FoundSecret::File(read)))
        }
        (None, None) => Ok(None),
    }
}

/// The variable `name` as text; not UTF-8 is an error naming it.
fn text(
    lookup: &impl Fn(&str) -> Option<OsString>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match lookup(name) {
        None => Ok(None),
        Some(value) => value
            .into_string()
            .map(Some)
            .map_err(|_| ConfigError::NotUnicode(name)),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::collections::HashMap;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn found(vars: &HashMap<&str, OsString>) -> FoundSecret {
        api_key_secret_from_vars(|name| vars.get(name).cloned())
            .expect("readable")
            .expect("a secret")
    }

    #[test]
    fn only_a_secret_file_open_to_others_draws_a_warning() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("secret");
        std::fs::write(&path, "file-secret\n").expect("written");
        let from_file = HashMap::from([(ENV_API_KEY_SECRET_FILE, path.clone().into())]);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(found(&from_file).warning(), None, "a private file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let warning = found(&from_file).warning().expect("a warning");
        assert!(warning.contains("0644"), "{warning}");

        let from_variable = HashMap::from([(ENV_API_KEY_SECRET, OsString::from("var-secret"))]);
        assert_eq!(found(&from_variable).warning(), None, "a variable");
    }
}
