//! Settings shared by the subcommands: where revault-api is, the API key,
//! durations, and how a driver's [`TokenError`] becomes an exit code.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use revault_auth::core::{
    ENV_API_KEY_ID, ENV_API_KEY_SECRET, ENV_API_URL, ENV_WORKSPACE, TokenError,
};
use revault_auth::{ApiKeySecret, Config, ErrorClass};

use crate::failure::{Exit, Failure};

/// Largest secret file read.
const MAX_SECRET_FILE: u64 = 64 * 1024;

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
    /// is trimmed) instead of REVAULT_API_KEY_SECRET
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
                "{ENV_API_KEY_SECRET} is not set (set it, or pass --api-key-secret-file PATH)"
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

/// The API key secret from `file` (`-` for stdin), else from the
/// environment; `None` when neither holds one. A file must be a regular
/// file (a FIFO or a device could block or never end: pipe into `-`
/// instead) of at most 64 KiB: a larger one is a usage error, never cut
/// silently.
pub(crate) fn read_secret(file: Option<&Path>) -> Result<Option<ApiKeySecret>, Failure> {
    let mut text = match file {
        Some(path) => read_secret_file(path)?,
        None => match std::env::var(ENV_API_KEY_SECRET) {
            Ok(text) if !text.is_empty() => text,
            Ok(_) | Err(std::env::VarError::NotPresent) => return Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Failure::usage(format!(
                    "{ENV_API_KEY_SECRET} is not valid UTF-8"
                )));
            }
        },
    };
    // An editor's byte order mark is not part of the secret; removed in
    // place, as the newline below.
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    // Trim one trailing newline in place: the secret is moved, never copied.
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(Some(ApiKeySecret::new(text)))
}

fn read_secret_file(path: &Path) -> Result<String, Failure> {
    let shown = path.display();
    let cannot = |error: std::io::Error| {
        Failure::usage(format!(
            "cannot read the API key secret from {shown}: {error}"
        ))
    };
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_SECRET_FILE + 1)
            .read_to_string(&mut text)
            .map_err(cannot)?;
    } else {
        // Checked before opening: opening a FIFO waits for a writer.
        let metadata = std::fs::metadata(path).map_err(cannot)?;
        if !metadata.is_file() {
            return Err(Failure::usage(format!(
                "the API key secret file {shown} is not a regular file \
                 (to read the secret from a pipe, use --api-key-secret-file -)"
            )));
        }
        if metadata.len() > MAX_SECRET_FILE {
            return Err(too_large(path));
        }
        let file = open_without_blocking(path).map_err(cannot)?;
        let opened = file.metadata().map_err(cannot)?;
        if !opened.is_file() {
            return Err(Failure::usage(format!(
                "the API key secret file {shown} is not a regular file"
            )));
        }
        warn_if_open_to_others(path, &opened);
        file.take(MAX_SECRET_FILE + 1)
            .read_to_string(&mut text)
            .map_err(cannot)?;
    }
    if text.len() as u64 > MAX_SECRET_FILE {
        return Err(too_large(path));
    }
    if text.is_empty() {
        return Err(Failure::usage(format!(
            "the API key secret file {shown} is empty"
        )));
    }
    Ok(text)
}

/// A secret others can read is no longer only ours: said once on stderr
/// (the token cache refuses such a file outright; a secret file is often
/// mounted by a deployment tool with wider modes, so it is still used).
fn warn_if_open_to_others(path: &Path, metadata: &std::fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            eprintln!(
                "warning: the API key secret file {} is open to group or others \
                 (mode {mode:04o}); make it private (chmod 600)",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, metadata);
}

fn too_large(path: &Path) -> Failure {
    Failure::usage(format!(
        "the API key secret file {} is larger than {} KiB: not an API key secret",
        path.display(),
        MAX_SECRET_FILE / 1024
    ))
}

/// Opens `path` for reading without waiting for a writer, should it have
/// become a FIFO since it was checked.
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK.bits();
        options.custom_flags(i32::try_from(flags).unwrap_or(0));
    }
    options.open(path)
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
            waited_ms,
            last_error,
        } => {
            let waited = Duration::from_millis(waited_ms).as_secs_f64();
            let cause = match last_error {
                Some(error) => format!("last error: {error}"),
                None => "no answer from revault-api".to_owned(),
            };
            Failure::new(
                Exit::GaveUp,
                format!("gave up after {waited:.1} s without a valid token ({cause})"),
            )
        }
        other => Failure::other(other),
    }
}
