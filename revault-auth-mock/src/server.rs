//! Serving the router: accept loop, per-connection tasks, and the [`MockServer`] handle.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tower::ServiceExt as _;

use crate::config::MockConfig;
use crate::fault::{Fault, Target};
use crate::http::{ConnKill, router};
use crate::log::LoggedRequest;
use crate::spec::{BASE_PATH, Endpoint};
use crate::state::{IssuedTokens, MockState, TokenClaims};

/// Serves the emulator on `listener` until the process ends.
///
/// `state` is a [`MockState`] (to keep control of it) or a [`MockConfig`].
/// A configuration that [`MockConfig::validate`] refuses is an
/// [`io::ErrorKind::InvalidInput`] error, before anything is served.
pub async fn serve(listener: TcpListener, state: impl Into<MockState>) -> io::Result<()> {
    serve_with_shutdown(listener, state, std::future::pending()).await
}

/// Serves the emulator on `listener` until `signal` completes; open connections are then
/// shut down gracefully (in-flight requests get up to a second to finish).
/// Refuses an invalid configuration as [`serve`] does.
pub async fn serve_with_shutdown<F>(
    listener: TcpListener,
    state: impl Into<MockState>,
    signal: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let state = state.into();
    state.config().validate()?;
    let read_timeout = state.config().request_read_timeout;
    let app = router(state);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut signal = std::pin::pin!(signal);
    loop {
        tokio::select! {
            () = &mut signal => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    spawn_connection(stream, app.clone(), read_timeout, stop_rx.clone());
                }
                Err(error) => {
                    // Per-connection errors (aborted handshakes) and resource exhaustion
                    // (EMFILE) are transient: keep accepting.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
    // Dropping the sender (or sending) tells the connections to wind down.
    let _ = stop_tx.send(true);
    Ok(())
}

fn spawn_connection(
    stream: TcpStream,
    app: Router,
    read_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    tokio::spawn(async move {
        let kill = ConnKill::default();
        let kill_for_requests = kill.clone();
        let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
            request.extensions_mut().insert(kill_for_requests.clone());
            app.clone().oneshot(request)
        });
        // Without a timer hyper applies no header timeout at all: a client
        // that sends half a request head would hold this task forever.
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let mut connection = std::pin::pin!(connection);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
            }
            () = kill.0.notified() => {
                tracing::debug!("closing a connection without answering (injected fault)");
            }
            () = stopped(&mut stop) => {
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(1), connection.as_mut()).await;
            }
        }
    });
}

/// Completes when the server stops (or is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await.map(|_| ());
}

/// How the server runs.
#[derive(Debug)]
enum Runner {
    /// A task on the caller's tokio runtime.
    Task(tokio::task::JoinHandle<()>),
    /// A thread running its own single-threaded tokio runtime.
    Thread(std::thread::JoinHandle<()>),
}

/// A running emulator bound to 127.0.0.1. Dropping it stops the server.
///
/// Dropping (or [`shutdown`](MockServer::shutdown)) a server started with
/// [`start_background`](MockServer::start_background) joins its thread, which takes a few
/// milliseconds; in async code prefer [`stop`](MockServer::stop).
#[derive(Debug)]
pub struct MockServer {
    state: MockState,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    runner: Option<Runner>,
}

impl MockServer {
    /// Binds 127.0.0.1:`cfg.port` and serves on the current tokio runtime.
    ///
    /// With a current-thread runtime (the `#[tokio::test]` default) the server only runs
    /// while the test awaits: use an async client there, or [`MockServer::start_background`]
    /// for a blocking one.
    ///
    /// A configuration that [`MockConfig::validate`] refuses is an
    /// [`io::ErrorKind::InvalidInput`] error.
    pub async fn start(cfg: MockConfig) -> io::Result<Self> {
        cfg.validate()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, cfg.port)).await?;
        let addr = listener.local_addr()?;
        let state = MockState::new(cfg);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn({
            let state = state.clone();
            async move {
                let signal = async {
                    let _ = stopped.await;
                };
                if let Err(error) = serve_with_shutdown(listener, state, signal).await {
                    tracing::error!(%error, "mock server failed");
                }
            }
        });
        Ok(Self {
            state,
            addr,
            stop: Some(stop),
            runner: Some(Runner::Task(task)),
        })
    }

    /// Binds 127.0.0.1:`cfg.port` and serves from a new thread running its own tokio
    /// runtime, for tests that do not run on tokio. Refuses an invalid
    /// configuration as [`start`](Self::start) does.
    pub fn start_background(cfg: MockConfig) -> io::Result<Self> {
        cfg.validate()?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, cfg.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let state = MockState::new(cfg);
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("revault-auth-mock-{}", addr.port()))
            .spawn({
                let state = state.clone();
                move || {
                    runtime.block_on(async move {
                        let signal = async {
                            let _ = stopped.await;
                        };
                        let result = match TcpListener::from_std(listener) {
                            Ok(listener) => serve_with_shutdown(listener, state, signal).await,
                            Err(error) => Err(error),
                        };
                        if let Err(error) = result {
                            tracing::error!(%error, "mock server failed");
                        }
                    });
                }
            })?;
        Ok(Self {
            state,
            addr,
            stop: Some(stop),
            runner: Some(Runner::Thread(thread)),
        })
    }

    /// `http://127.0.0.1:PORT/v1/rest`
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, BASE_PATH)
    }

    /// The base URL followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (to hand to other code, or for controls not mirrored here).
    pub fn state(&self) -> &MockState {
        &self.state
    }

    /// The configuration the server was started with.
    pub fn config(&self) -> &MockConfig {
        self.state.config()
    }

    /// See [`MockState::push_fault`].
    pub fn push_fault(&self, target: Target, fault: Fault) {
        self.state.push_fault(target, fault);
    }

    /// See [`MockState::set_persistent_fault`].
    pub fn set_persistent_fault(&self, target: Target, fault: Option<Fault>) {
        self.state.set_persistent_fault(target, fault);
    }

    /// See [`MockState::clear_faults`].
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// See [`MockState::pending_faults`].
    pub fn pending_faults(&self) -> usize {
        self.state.pending_faults()
    }

    /// See [`MockState::revoke_all`].
    pub fn revoke_all(&self) {
        self.state.revoke_all();
    }

    /// See [`MockState::revoke_access_token`].
    pub fn revoke_access_token(&self, token: &str) {
        self.state.revoke_access_token(token);
    }

    /// See [`MockState::revoke_refresh_tokens`].
    pub fn revoke_refresh_tokens(&self) {
        self.state.revoke_refresh_tokens();
    }

    /// See [`MockState::issue_tokens`].
    pub fn issue_tokens(&self, workspace: &str, api_key_id: &str) -> Option<IssuedTokens> {
        self.state.issue_tokens(workspace, api_key_id)
    }

    /// See [`MockState::claims`].
    pub fn claims(&self, token: &str) -> Option<TokenClaims> {
        self.state.claims(token)
    }

    /// See [`MockState::log`].
    pub fn log(&self) -> Vec<LoggedRequest> {
        self.state.log()
    }

    /// See [`MockState::clear_log`].
    pub fn clear_log(&self) {
        self.state.clear_log();
    }

    /// See [`MockState::token_requests`].
    pub fn token_requests(&self) -> usize {
        self.state.token_requests()
    }

    /// See [`MockState::refresh_requests`].
    pub fn refresh_requests(&self) -> usize {
        self.state.refresh_requests()
    }

    /// Refresh requests in the log answered with another status than 200:
    /// with a client that spends each refresh token once and no fault
    /// injected, a refresh token sent twice. A refresh its client gave up on
    /// before the answer (a process stopped mid-request) is not one.
    pub fn refused_refreshes(&self) -> usize {
        self.log()
            .iter()
            .filter(|logged| {
                logged.endpoint == Endpoint::Refresh
                    && logged.status.is_some_and(|status| status != 200)
            })
            .count()
    }

    /// See [`MockState::protected_requests`].
    pub fn protected_requests(&self) -> usize {
        self.state.protected_requests()
    }

    /// Stops the server. A background server's thread is joined; a server on the caller's
    /// runtime stops accepting as soon as that runtime gets to run it (see
    /// [`MockServer::stop`] to wait for it).
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    /// Stops the server and waits until it no longer accepts connections.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.runner.take() {
            Some(Runner::Task(task)) => {
                let _ = task.await;
            }
            Some(Runner::Thread(thread)) => {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            None => {}
        }
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.runner.take() {
            Some(Runner::Thread(thread)) => {
                let _ = thread.join();
            }
            // The task ends on its own once it sees the signal; nothing to block on here.
            Some(Runner::Task(_)) | None => {}
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}
