//! `revault-auth mock`: the emulator on 127.0.0.1 until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use clap::Args;
use revault_auth_mock::{BASE_PATH, Fault, LogCursor, LoggedRequest, MockConfig, MockState};
use tokio::net::TcpListener;

use crate::failure::Failure;
use crate::settings::{CredentialArgs, read_secret, seconds};

#[derive(Debug, Args)]
pub(crate) struct MockArgs {
    /// Port on 127.0.0.1 (0: any free port)
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,

    /// Lifetime of access tokens, in seconds
    #[arg(long, value_name = "S", default_value = "300", value_parser = seconds)]
    access_ttl: Duration,

    /// Lifetime of refresh tokens, in seconds
    #[arg(long, value_name = "S", default_value = "1800", value_parser = seconds)]
    refresh_ttl: Duration,

    /// The one API key the emulator accepts (default: its built-in demo key;
    /// the secret comes from REVAULT_API_KEY_SECRET or --api-key-secret-file)
    #[command(flatten)]
    credentials: CredentialArgs,
}

pub(crate) async fn run(args: MockArgs) -> Result<(), Failure> {
    let credentials = args.credentials;
    let secret = read_secret(credentials.api_key_secret_file.as_deref())?;
    let secret_source = if secret.is_some() {
        "the one you set"
    } else {
        "the built-in demo secret"
    };
    let mut config = MockConfig::default()
        .with_ttls(args.access_ttl, args.refresh_ttl)
        .with_port(args.port);
    if let Some(workspace) = credentials.workspace.filter(|w| !w.trim().is_empty()) {
        config.workspace = workspace;
    }
    if let Some(id) = credentials.api_key_id.filter(|id| !id.trim().is_empty()) {
        config.api_key_id = id;
    }
    if let Some(secret) = secret {
        config.api_key_secret = secret.expose_secret().to_owned();
    }

    // Before listening: the client would refuse to send such a key.
    config.validate().map_err(Failure::usage)?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .map_err(|error| {
            Failure::other(format!("cannot listen on 127.0.0.1:{}: {error}", args.port))
        })?;
    let address = listener
        .local_addr()
        .map_err(|error| Failure::other(format!("cannot read the listening address: {error}")))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "http://{address}{BASE_PATH}")
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::other(format!("cannot write the base URL: {error}")))?;
    drop(stdout);
    eprintln!(
        "revault-auth mock: workspace {:?}, API key id {:?}, API key secret: {secret_source}; \
         access tokens live {} s, refresh tokens {} s; Ctrl-C to stop",
        config.workspace,
        config.api_key_id,
        config.access_ttl.as_secs_f64(),
        config.refresh_ttl.as_secs_f64(),
    );

    let state = MockState::new(config);
    let (stop_reporting, stopped) = tokio::sync::oneshot::channel();
    let reporter = tokio::spawn(report(state.clone(), Instant::now(), stopped));
    let served = revault_auth_mock::serve_with_shutdown(listener, state, shutdown_signal()).await;
    let _ = stop_reporting.send(());
    let _ = reporter.await;
    served.map_err(|error| Failure::other(format!("the emulator failed: {error}")))?;
    eprintln!("revault-auth mock: stopped");
    Ok(())
}

/// Prints each auth request the emulator answers on stderr, until `stop`.
async fn report(state: MockState, started: Instant, stop: tokio::sync::oneshot::Receiver<()>) {
    let mut cursor = LogCursor::default();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut stop = std::pin::pin!(stop);
    loop {
        let last = tokio::select! {
            _ = tick.tick() => false,
            _ = &mut stop => true,
        };
        for request in cursor.settled(&state.log()) {
            eprintln!("{}", describe_request(&request, started));
        }
        if last {
            return;
        }
    }
}

/// `  1.234s  POST /auth/token          200`, with the injected fault if any.
pub(crate) fn describe_request(request: &LoggedRequest, started: Instant) -> String {
    let at = request.at.saturating_duration_since(started).as_secs_f64();
    format!("[{at:>7.3}s] emulator  {}", request_outcome(request))
}

/// `POST /auth/token -> 200 (injected)`, or `... -> connection closed`.
pub(crate) fn request_outcome(request: &LoggedRequest) -> String {
    let path = request.endpoint.path();
    let outcome = match (request.status, &request.fault) {
        (None, Some(Fault::CloseConnection)) => "connection closed without an answer".to_owned(),
        (None, _) => "no answer".to_owned(),
        (Some(status), Some(_)) => format!("{status} (injected fault)"),
        (Some(status), None) => status.to_string(),
    };
    format!("POST {path:<20} -> {outcome}")
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = async {
            match signal(SignalKind::terminate()) {
                Ok(mut terminate) => {
                    terminate.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}
