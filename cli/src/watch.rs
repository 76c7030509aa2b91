//! `revault-auth watch`: keep a session alive and print its events as JSON
//! lines.

use std::io::Write;
use std::pin::pin;
use std::time::Duration;

use clap::Args;
use revault_auth::core::TokenError;
use revault_auth::tokio::TokenManager;
use revault_auth::{AuthError, Event};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::Instant;

use crate::events;
use crate::failure::{Exit, Failure};
use crate::manager;
use crate::settings::{ConnectionArgs, Run, seconds, token_failure};

#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    #[command(flatten)]
    connection: ConnectionArgs,

    #[command(flatten)]
    cache: manager::CacheArgs,

    /// Stop after this many seconds (default: run until Ctrl-C or SIGTERM)
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    duration: Option<Duration>,
}

/// What the session came to.
#[derive(Debug, Default)]
struct Seen {
    obtained: bool,
    failure: Option<AuthError>,
    last_error: Option<String>,
    /// stdout was closed: whoever read it is gone.
    closed_stdout: bool,
    /// Writing to stdout failed otherwise (a full disk, an IO error): the
    /// events are lost, which is a failure.
    write_error: Option<std::io::Error>,
}

pub(crate) async fn run(args: WatchArgs) -> Result<(), Failure> {
    let connection = args.connection.resolve(Run::Ongoing)?;
    let started = Instant::now();
    let session = manager::build(connection, args.cache, None)?;
    let end = args.duration.map(|duration| started + duration);
    let seen = watch(&session.manager, started, end).await;
    session.close().await;
    session.warn_about_the_cache();
    let seen = seen?;
    if let Some(error) = seen.write_error {
        return Err(Failure::other(format!(
            "cannot write the events to stdout: {error}"
        )));
    }
    if seen.closed_stdout {
        return Ok(());
    }
    if let Some(error) = seen.failure {
        return Err(token_failure(TokenError::Failed(error)));
    }
    if !seen.obtained {
        let last = seen.last_error.unwrap_or_else(|| "no answer".to_owned());
        return Err(Failure::new(
            Exit::GaveUp,
            format!("no valid token was obtained (last error: {last})"),
        ));
    }
    Ok(())
}

async fn watch(
    manager: &TokenManager,
    started: Instant,
    end: Option<Instant>,
) -> Result<Seen, Failure> {
    // Subscribe before the first demand, so no event can be missed.
    let mut receiver = manager.subscribe();
    let mut first = pin!(manager.token());
    let mut first_pending = true;
    let mut stop = pin!(crate::mock::shutdown_signal());
    let mut seen = Seen::default();
    let print = |event: &Event, seen: &mut Seen| {
        let t_ms = events::millis(started.elapsed());
        note(event, seen);
        let Some(line) = events::to_json(event, t_ms) else {
            return;
        };
        let mut stdout = std::io::stdout().lock();
        match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
            Ok(()) => {}
            // The reader went away (`| head`): nothing left to do.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                seen.closed_stdout = true;
            }
            Err(error) => {
                seen.closed_stdout = true;
                seen.write_error = Some(error);
            }
        }
    };
    loop {
        tokio::select! {
            result = &mut first, if first_pending => {
                first_pending = false;
                match result {
                    // Counted even should its event have gone out before
                    // this process subscribed (a token restored at start).
                    Ok(_) => seen.obtained = true,
                    // Print the events that explain it, then stop.
                    Err(TokenError::Failed(error)) => {
                        while let Ok(event) = receiver.try_recv() {
                            print(&event, &mut seen);
                        }
                        if seen.failure.is_none() {
                            print(&Event::Failed { error }, &mut seen);
                        }
                        break;
                    }
                    Err(other) => return Err(token_failure(other)),
                }
            }
            received = receiver.recv() => match received {
                Ok(event) => {
                    print(&event, &mut seen);
                    if seen.failure.is_some() {
                        break;
                    }
                }
                Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "events were lost"),
                Err(RecvError::Closed) => break,
            },
            () = sleep_until(end) => break,
            () = &mut stop => break,
        }
        if seen.closed_stdout {
            break;
        }
    }
    // Whatever is already queued belongs to the session watched.
    loop {
        match receiver.try_recv() {
            Ok(event) if !seen.closed_stdout && seen.failure.is_none() => print(&event, &mut seen),
            Ok(_) | Err(TryRecvError::Lagged(_)) => {}
            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
        }
    }
    Ok(seen)
}

/// What `event` says about the session: a token obtained (from
/// revault-api, or restored from the token store another process keeps
/// fresh), the last error, or the end.
fn note(event: &Event, seen: &mut Seen) {
    match event {
        Event::Authenticated { .. }
        | Event::Refreshed { .. }
        | Event::Reauthenticated { .. }
        | Event::Restored { .. } => seen.obtained = true,
        Event::RetryScheduled { error, .. } => seen.last_error = Some(error.to_string()),
        Event::RateLimited { status, .. } => {
            seen.last_error = Some(format!("rate limited (HTTP {status})"));
        }
        Event::Failed { error } => seen.failure = Some(error.clone()),
        Event::Expired { .. } | Event::RequestFinished { .. } => {}
        other => tracing::warn!(event = ?other, "an event of a kind this build does not know"),
    }
}

async fn sleep_until(end: Option<Instant>) {
    match end {
        Some(end) => tokio::time::sleep_until(end).await,
        None => std::future::pending().await,
    }
}
