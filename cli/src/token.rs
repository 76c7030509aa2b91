//! `revault-auth token`: print a valid access token.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::failure::Failure;
use crate::manager;
use crate::settings::{ConnectionArgs, Run, seconds};

#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    #[command(flatten)]
    connection: ConnectionArgs,

    /// Give up after this many seconds without a valid token
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    deadline: Duration,

    /// Keep the token in this file (mode 0600), or in the Redis server at
    /// a redis:// (this host only) or rediss:// URL, and reuse it while it
    /// is valid; an unreadable cache is ignored with a warning and
    /// replaced, a Redis that cannot be reached is a warning and the run
    /// goes on alone. Redis password: in the URL or in the file named by
    /// REVAULT_REDIS_PASSWORD_FILE
    #[arg(long, value_name = "PATH|URL")]
    cache: Option<PathBuf>,
}

/// Obtains a token and prints it, with a newline, on stdout: the only output
/// of this program that ever holds a token.
pub(crate) async fn run(args: TokenArgs) -> Result<(), Failure> {
    let connection = args.connection.resolve(Run::OneShot)?;
    let session = manager::build(connection, args.cache, Some(args.deadline))?;
    // With a cache, a new token was saved there before it was served.
    let token = session.token().await;
    session.close().await;
    let token = token?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(token.secret().expose_secret().as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::other(format!("cannot write the token: {error}")))
}
