//! Settings shared by the subcommands: where revault-api is, the API key,
//! durations, and how a driver's [`TokenError`] becomes an exit code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use revault_auth::core::{
    ENV_API_KEY_ID, ENV_API_KEY_SECRET, ENV_API_KEY_SECRET_FILE, ENV_API_URL, ENV_WORKSPACE,
    TokenError,
};
use revault_auth::{ApiKeySecret, Config, ErrorClass};
use revault_auth_shared::env::{FoundSecret, api_key_secret_from_vars};
use revault_auth_shared::secret_file::{self, SecretFileError, read_secret_file};

use crate::failure::{Exit, Failure};

/// The API key, as flags over environment variables.
#[derive(Debug, Args)]
pub(crate) struct CredentialArgs {
    /// Workspace
    #[arg(long, env = ENV_WORKSPACE, hide_env_values = true, value_name = "NAME")]
    pub(crate) workspace: Option<String>,

    /// API key id
    #[arg(long, env = ENV_API_KEY_ID, hide_env_values = true, value_name = "ID")]
    pub(crate) api_key_id: Option<String>,

    /// Read the API key secret from PATH ('-' for stdin; one trailing newline
    /// is trimmed) instead of REVAULT_API_KEY_SECRET or
    /// REVAULT_API_KEY_SECRET_FILE
    #[arg(long, value_name = "PATH")]
    pub(crate) api_key_secret_file: Option<PathBuf>,
}

/// Everything a client needs to reach revault-api.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// API base URL, e.g. https://HOST/v1/rest
    #[arg(long, env = ENV_API_URL, hide_env_values = true, value_name = "URL")]
    pub(crate) api_url: Option<String>,

    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
}

/// A validated client configuration and the base URL it was built from.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) config: Config,
    /// The base URL, trimmed, without a trailing `/`.
    pub(crate) base: String,
    /// The API key secret, to scrub from anything a server sends back.
    pub(crate) secret: ApiKeySecret,
}

/// How a run uses its tokens, which sets how it treats one found in a
/// `--cache` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    /// One token used at once, then exit (`token`, `get`): a token found in
    /// the cache is used until its usable deadline, not refreshed early.
    OneShot,
    /// Runs until stopped (`watch`): tokens are refreshed ahead of expiry.
    Ongoing,
}

impl ConnectionArgs {
    /// Checks everything before any traffic: every failure is a usage error.
    pub(crate) fn resolve(self, run: Run) -> Result<Connection, Failure> {
        let api_url = required(self.api_url, ENV_API_URL, "--api-url")?;
        let credentials = self.credentials;
        let workspace = required(credentials.workspace, ENV_WORKSPACE, "--workspace")?;
        let api_key_id = required(credentials.api_key_id, ENV_API_KEY_ID, "--api-key-id")?;
        let secret = read_secret(credentials.api_key_secret_file.as_deref())?.ok_or_else(|| {
            Failure::usage(format!(
                "{ENV_API_KEY_SECRET} is not set (set it or {ENV_API_KEY_SECRET_FILE}, \
                 or pass --api-key-secret-file PATH)"
            ))
        })?;
        let base = api_url.trim().trim_end_matches('/').to_owned();
        // The core refuses what cannot be a base URL (fragment, user
        // information, port outside 1..=65535, absurd length) without
        // echoing a password or a long value.
        let config = Config::builder(api_url, workspace, api_key_id, secret.clone())
            .tune(|policy| policy.refresh_restored_ahead = run == Run::Ongoing)
            .build()
            .map_err(Failure::usage)?;
        Ok(Connection {
            config,
            base,
            secret,
        })
    }
}

/// `value` as an error may show it: quoted and bounded (the core's rule).
pub(crate) use revault_auth::core::shown;

fn required(value: Option<String>, env: &str, flag: &str) -> Result<String, Failure> {
    value
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| Failure::usage(format!("{env} is not set (set it, or pass {flag})")))
}

/// The API key secret from `file` (`-` for stdin), else from
/// `REVAULT_API_KEY_SECRET` or the file `REVAULT_API_KEY_SECRET_FILE`
/// names; `None` when none holds one. Files are read as the library reads
/// them (`revault_auth_shared::secret_file`): a regular file of at most
/// 64 KiB, never cut silently; a file open to others is used with a
/// warning on stderr.
pub(crate) fn read_secret(file: Option<&Path>) -> Result<Option<ApiKeySecret>, Failure> {
    let found = match file {
        Some(path) if path == Path::new("-") => {
            let secret =
                secret_file::read_secret(std::io::stdin().lock(), path).map_err(Failure::usage)?;
            return Ok(Some(secret));
        }
        Some(path) => FoundSecret::File(read_secret_file(path).map_err(not_readable)?),
        None => match api_key_secret_from_vars(|name| std::env::var_os(name)) {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(None),
            Err(error) => return Err(Failure::usage(error)),
        },
    };
    if let Some(warning) = found.warning() {
        eprintln!("warning: {warning}");
    }
    Ok(Some(found.into_secret()))
}

/// A secret file that cannot be used; a pipe is pointed to `-`.
fn not_readable(error: SecretFileError) -> Failure {
    match error {
        SecretFileError::NotARegularFile { .. } => Failure::usage(format!(
            "{error} (to read the secret from a pipe, use --api-key-secret-file -)"
        )),
        error => Failure::usage(error),
    }
}

/// Seconds as a positive, finite number (fractions allowed), at most a year.
pub(crate) fn seconds(value: &str) -> Result<Duration, String> {
    let seconds: f64 = value
        .trim()
        .parse()
        .map_err(|_| "expected a number of seconds".to_owned())?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 366.0 * 24.0 * 3600.0) {
        return Err("expected a positive number of seconds, at most a year".to_owned());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// How a failure to obtain a token ends the process.
pub(crate) fn token_failure(error: TokenError) -> Failure {
    match error {
        TokenError::Config(error) => Failure::usage(error),
        TokenError::Failed(error) => {
            let exit = match error.class() {
                ErrorClass::CredentialsRejected | ErrorClass::InvalidRequest => Exit::Rejected,
                // A wrong API URL (404) is a configuration error.
                ErrorClass::Misconfigured => Exit::Usage,
                _ => Exit::GaveUp,
            };
            Failure::new(exit, error)
        }
        TokenError::TimedOut {
            waited,
            last_error,
            cause,
        } => {
            let waited = waited.as_secs_f64();
            let cause = match (last_error, cause) {
                (Some(error), Some(cause)) => format!("last error: {error}: {cause}"),
                (Some(error), None) => format!("last error: {error}"),
                (None, _) => "no answer from revault-api".to_owned(),
            };
            Failure::new(
                Exit::GaveUp,
                format!("gave up after {waited:.1} s without a valid token ({cause})"),
            )
        }
        TokenError::HttpClient(cause) => {
            Failure::other(format!("could not build the HTTP client: {cause}"))
        }
        other => Failure::other(other),
    }
}
