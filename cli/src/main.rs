//! `revault-auth`: obtain, use and watch revault-api tokens from the command
//! line, run the emulator, or watch a live demo. This file parses the
//! arguments, sets up logging and the runtime, and maps failures to exit
//! codes; one module per subcommand.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | anything else: an HTTP error status from `get`, an I/O error, a demo stage that did not happen |
//! | 2 | usage or configuration error, found before any traffic, or an API URL revault-api answers 404 to |
//! | 3 | revault-api rejected the credentials (401/403 from `/auth/token`) or the authentication request (400) |
//! | 4 | gave up on transient failures or invalid responses (`--deadline`), or a `Retry-After` ending after it |

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgAction, Parser, Subcommand};

mod demo;
mod events;
mod failure;
mod get;
mod manager;
mod mock;
mod request;
mod settings;
mod token;
mod watch;

use crate::failure::{Exit, Failure};

/// The exit codes, as the help of the program and of each subcommand
/// ends (a macro, so that `concat!` can take it).
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  success
  1  other failure (HTTP error status from `get`, I/O error, a demo stage that did not happen)
  2  usage or configuration error (including http:// to a non-loopback host, a redis:// cache
     off this host, credentials the Redis cache refuses), before any traffic; or a wrong API
     URL (404 from revault-api). A Redis cache that cannot be reached is a warning, not an error
  3  credentials rejected by revault-api (401/403 from /auth/token; 400 invalid request)
  4  gave up on transient failures or invalid responses (see --deadline), or a Retry-After
     that ends after the deadline"
    };
}

const EXIT_CODES: &str = exit_codes!();

const AFTER_HELP: &str = concat!(
    "\
Configuration (flags override the environment):
  REVAULT_API_URL         API base URL, e.g. https://HOST/v1/rest (--api-url)
  REVAULT_WORKSPACE       workspace (--workspace)
  REVAULT_API_KEY_ID      API key id (--api-key-id)
  REVAULT_API_KEY_SECRET  API key secret; never taken from the command line,
                          only from here or from --api-key-secret-file PATH ('-' = stdin)
  REVAULT_API_KEY_SECRET_FILE
                          a file holding the API key secret (not with REVAULT_API_KEY_SECRET)
  RUST_LOG                tracing filter for logs on stderr (or -v, -vv)
  REVAULT_REDIS_PASSWORD_FILE
                          the Redis password, for --cache redis://... or rediss://... without one

",
    exit_codes!(),
    "

Try it locally: `revault-auth demo`."
);

/// Keeps a valid JWT for revault-api (the Ledger Enterprise API).
#[derive(Debug, Parser)]
#[command(name = "revault-auth", version, after_help = AFTER_HELP)]
struct Cli {
    /// Logs on stderr: -v debug, -vv trace (RUST_LOG overrides)
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a valid access token and a newline on stdout
    #[command(after_help = EXIT_CODES)]
    Token(token::TokenArgs),
    /// Send GET (or -X METHOD, -d DATA, -H HEADER) to {base}{PATH} with the
    /// bearer token and print the body
    #[command(after_help = EXIT_CODES)]
    Get(get::GetArgs),
    /// Keep a session alive and print one JSON object per line per event
    #[command(after_help = EXIT_CODES)]
    Watch(watch::WatchArgs),
    /// Run the emulator on 127.0.0.1 (first stdout line: its base URL)
    Mock(mock::MockArgs),
    /// Run the emulator and a client with 3 s tokens and injected faults, as a live timeline
    Demo(demo::DemoArgs),
}

/// Parses the command line, runs the subcommand and returns its exit code.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return clap_failure(&error),
    };
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return Failure::other(format!("cannot start the runtime: {error}")).report(),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Token(args) => token::run(args).await,
            Command::Get(args) => get::run(args).await,
            Command::Watch(args) => watch::run(args).await,
            Command::Mock(args) => mock::run(args).await,
            Command::Demo(args) => demo::run(args).await,
        }
    });
    // Do not wait for stray tasks: an HTTP exchange the manager abandoned,
    // or a wait on another process's lock of the token cache.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// Help and version go to stdout with 0; errors become one `error:` line
/// with exit code 2.
fn clap_failure(error: &clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::from(Exit::Usage as u8)
        }
        ErrorKind::UnknownArgument => Failure::usage(unknown_argument(error)).report(),
        ErrorKind::InvalidSubcommand => Failure::usage(unknown_subcommand()).report(),
        // clap does not say which variable held the bytes.
        ErrorKind::InvalidUtf8 => Failure::usage(invalid_utf8()).report(),
        _ => {
            // clap's first paragraph, on one line.
            let rendered = error.render().to_string();
            let paragraph: Vec<&str> = rendered
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let mut text = paragraph.join(" ");
            // A long value clap quotes back is shown cut, not whole.
            if let Some(ContextValue::String(value)) = error.get(ContextKind::InvalidValue) {
                text = text.replace(&format!("'{value}'"), &settings::shown(value));
            }
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            Failure::usage(format!("{text} (see --help)")).report()
        }
    }
}

/// Names the configuration variables that are not valid UTF-8 (or says it
/// is an argument, when none is).
fn invalid_utf8() -> String {
    use revault_auth::core::{ENV_API_KEY_ID, ENV_API_URL, ENV_WORKSPACE};
    let invalid: Vec<&str> = [ENV_API_URL, ENV_WORKSPACE, ENV_API_KEY_ID]
        .into_iter()
        .filter(|name| std::env::var_os(name).is_some_and(|value| value.to_str().is_none()))
        .collect();
    if invalid.is_empty() {
        "an argument is not valid UTF-8 (see --help)".to_owned()
    } else {
        format!("{} is not valid UTF-8", invalid.join(" and "))
    }
}

/// Names an unknown argument without echoing a value it may carry: a
/// secret typed on the command line must not be printed back.
fn unknown_argument(error: &clap::Error) -> String {
    let argument = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(argument)) => argument.as_str(),
        _ => "",
    };
    let name = argument.split('=').next().unwrap_or_default();
    if name.starts_with("--api-key-secret") || name.starts_with("--secret") {
        format!(
            "unexpected argument '{name}': the API key secret is never read from the command \
             line; set REVAULT_API_KEY_SECRET or use --api-key-secret-file PATH ('-' for stdin)"
        )
    } else if name.starts_with('-') {
        format!("unexpected argument '{name}' (see --help)")
    } else {
        "unexpected argument (its value is not shown; see --help)".to_owned()
    }
}

/// Names the subcommands without echoing what was typed: it may be a
/// secret pasted in the wrong place.
fn unknown_subcommand() -> String {
    use clap::CommandFactory;
    let command = Cli::command();
    let names: Vec<&str> = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .filter(|name| *name != "help")
        .collect();
    format!(
        "unrecognized subcommand (what was typed is not shown); use one of: {} (see --help)",
        names.join(", ")
    )
}

/// `RUST_LOG` wins; otherwise `-v` shows this project's debug logs and
/// `-vv` its trace logs. Without either, nothing is logged.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;

    let ours = [
        "revault_auth",
        "revault_auth_core",
        "revault_auth_tokio",
        "revault_auth_mock",
    ];
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|value| !value.trim().is_empty());
    let filter = match (from_env, verbose) {
        (Some(value), _) => EnvFilter::try_new(value).unwrap_or_else(|error| {
            eprintln!("warning: ignoring RUST_LOG: {error}");
            EnvFilter::new("warn")
        }),
        (None, 0) => return,
        (None, level) => {
            let level = if level == 1 { "debug" } else { "trace" };
            let directives: Vec<String> = ours.iter().map(|c| format!("{c}={level}")).collect();
            EnvFilter::new(format!("warn,{}", directives.join(",")))
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}
