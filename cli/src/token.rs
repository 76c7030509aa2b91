//! `revault-auth token`: print a valid access token.

use std::io::{Read, Write};
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

    #[command(flatten)]
    cache: manager::CacheArgs,

    /// '-': read the token revault-api refused from standard input, drop
    /// it, and print (and cache) a new one. Never given on the command line
    #[arg(long, value_name = "-", allow_hyphen_values = true)]
    rejected: Option<String>,
}

/// Largest refused token read from standard input.
const MAX_REJECTED: u64 = 64 * 1024;

/// Obtains a token and prints it, with a newline, on stdout: the only output
/// of this program that ever holds a token.
pub(crate) async fn run(args: TokenArgs) -> Result<(), Failure> {
    let rejected = match args.rejected.as_deref() {
        None => None,
        Some("-") => Some(read_rejected()?),
        Some(_) => {
            return Err(Failure::usage(
                "--rejected takes '-': the refused token is read from standard input, \
                 never from the command line (the value given is not shown)",
            ));
        }
    };
    let connection = args.connection.resolve(Run::OneShot)?;
    let session = manager::build(connection, args.cache, Some(args.deadline))?;
    // With a cache, a new token was saved there before it was served.
    let token = async {
        let mut token = session.token().await?;
        // A token other than the refused one (another process replaced it
        // already) is newer and printed as it is.
        if rejected.is_some_and(|rejected| token.secret().expose_secret() == rejected) {
            session.manager.invalidate(&token);
            token = session.token().await?;
        }
        Ok::<_, Failure>(token)
    }
    .await;
    session.close().await;
    let token = token?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(token.secret().expose_secret().as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::other(format!("cannot write the token: {error}")))
}

/// The refused token from standard input, without surrounding whitespace.
fn read_rejected() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_REJECTED + 1)
        .read_to_string(&mut text)
        .map_err(|error| {
            Failure::usage(format!(
                "cannot read the refused token from standard input: {error}"
            ))
        })?;
    if text.len() as u64 > MAX_REJECTED {
        return Err(Failure::usage(
            "the refused token on standard input is larger than 64 KiB: not a token",
        ));
    }
    let token = text.trim();
    if token.is_empty() {
        return Err(Failure::usage("--rejected -: standard input held no token"));
    }
    Ok(token.to_owned())
}
