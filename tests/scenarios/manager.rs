//! One face for every manager, so each scenario is written once: the tokio
//! manager, the async-std manager under async-std and under smol, and the
//! blocking ureq manager. Every method is async; the ureq one blocks inside
//! (its scenario runs on a thread of its own and each task it spawns on
//! another, as blocking callers would).

use std::fmt::Debug;
use std::future::Future;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use revault_auth::core::testing::ScriptedTransport;
use revault_auth::tokio::{FileStore, WallClock};
use revault_auth::{AccessToken, ApiKeySecret, Config, Event, SavedTokens, TokenError};
use tokio::sync::broadcast::Receiver;

/// A spawned task's output.
pub type Task<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// How a manager sends its requests.
#[derive(Default)]
pub enum Via {
    /// The adapter's own client.
    #[default]
    Default,
    /// A client of the user's that follows redirects.
    FollowingClient,
    /// The core's scripted server, no network.
    Scripted(ScriptedTransport),
    /// The adapter's own client behind [`Panicky`].
    Panicky,
}

/// A transport whose first send panics when called and whose second
/// panics when polled (an async one; a blocking one panics when called
/// again), then hands requests to `inner`.
pub struct Panicky<T> {
    inner: T,
    sends: std::sync::atomic::AtomicUsize,
}

impl<T> Panicky<T> {
    fn new(inner: T) -> Self {
        Self {
            inner,
            sends: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// This send's number, counted from 1.
    fn count(&self) -> usize {
        self.sends.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
    }
}

impl<T: revault_auth::AsyncTransport> revault_auth::AsyncTransport for Panicky<T> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        limits: revault_auth::Limits,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, revault_auth::core::TransportError>> + Send
    {
        let send = self.count();
        assert_ne!(send, 1, "a transport that panics when called");
        let sending = (send > 2).then(|| self.inner.send(request, limits));
        async move {
            match sending {
                Some(sending) => sending.await,
                None => panic!("a transport that panics when polled"),
            }
        }
    }
}

impl<T: revault_auth::BlockingTransport> revault_auth::BlockingTransport for Panicky<T> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
        limits: revault_auth::Limits,
    ) -> Result<http::Response<Vec<u8>>, revault_auth::core::TransportError> {
        assert!(self.count() > 2, "a transport that panics when called");
        self.inner.send(request, limits)
    }
}

/// What a scenario may set on a manager's builder.
#[derive(Default)]
pub struct Options {
    pub via: Via,
    pub store: Option<PathBuf>,
    pub wall: Option<WallClock>,
    pub wait: Option<Duration>,
}

impl Options {
    pub fn store(path: impl Into<PathBuf>) -> Self {
        Self {
            store: Some(path.into()),
            ..Self::default()
        }
    }

    pub fn wall(wall: WallClock) -> Self {
        Self {
            wall: Some(wall),
            ..Self::default()
        }
    }

    pub fn wait(wait: Duration) -> Self {
        Self {
            wait: Some(wait),
            ..Self::default()
        }
    }

    pub fn via(via: Via) -> Self {
        Self {
            via,
            ..Self::default()
        }
    }
}

/// A token manager and the runtime it runs under.
pub trait Manager: Clone + Debug + Send + Sync + Sized + 'static {
    /// Whether a driver refreshes ahead of expiry with no caller asking
    /// (the async managers); otherwise the first caller past the refresh
    /// point refreshes (the blocking one).
    const DRIVES_ITSELF: bool;
    /// How many callers a stampede scenario sends at once.
    const CROWD: usize;

    /// Runs a scenario to its end on this manager's runtime.
    fn run<F: Future>(scenario: F) -> F::Output;
    /// Runs `task` concurrently with the scenario, as a caller of its own.
    fn spawn<T: Send + 'static>(task: impl Future<Output = T> + Send + 'static) -> Task<T>;

    fn build(config: Config, options: Options) -> Self;
    /// A manager from the `REVAULT_*` environment variables, dropped at once.
    fn from_env() -> Result<(), TokenError>;

    fn token(&self) -> impl Future<Output = Result<Arc<AccessToken>, TokenError>> + Send;
    fn authorization(&self) -> impl Future<Output = Result<http::HeaderValue, TokenError>> + Send;
    fn try_token(&self) -> Option<Arc<AccessToken>>;
    fn invalidate(&self, token: &AccessToken) -> bool;
    fn force_refresh(&self);
    fn update_api_key(
        &self,
        id: &str,
        secret: ApiKeySecret,
    ) -> impl Future<Output = Result<(), TokenError>> + Send;
    fn export(&self) -> impl Future<Output = Option<SavedTokens>> + Send;
    fn restore(&self, saved: SavedTokens) -> impl Future<Output = bool> + Send;
    fn subscribe(&self) -> Receiver<Event>;
    fn shutdown(&self) -> impl Future<Output = ()> + Send;

    /// A manager with default options.
    fn new(config: Config) -> Self {
        Self::build(config, Options::default())
    }

    /// What a caller is served without waiting for a new token: the
    /// published one where a driver refreshes ahead, otherwise a call to
    /// `token` (which refreshes once past the refresh point).
    fn current(&self) -> impl Future<Output = Option<Arc<AccessToken>>> + Send {
        let manager = self.clone();
        async move {
            if Self::DRIVES_ITSELF {
                manager.try_token()
            } else {
                manager.token().await.ok()
            }
        }
    }
}

/// Sets a builder's store, wall clock and wait deadline, then builds.
macro_rules! finish {
    ($builder:expr, $options:expr) => {{
        let Options {
            store, wall, wait, ..
        } = $options;
        let mut builder = $builder;
        if let Some(path) = store {
            builder = builder.with_store(FileStore::new(path));
        }
        if let Some(wall) = wall {
            builder = builder.wall_clock(wall);
        }
        if let Some(wait) = wait {
            builder = builder.wait_timeout(wait);
        }
        builder.build()
    }};
}

/// The methods every manager has under the same names, none of them async.
macro_rules! sync_methods {
    () => {
        fn try_token(&self) -> Option<Arc<AccessToken>> {
            self.0.try_token().map(|token| token.into_owned())
        }

        fn invalidate(&self, token: &AccessToken) -> bool {
            self.0.invalidate(token)
        }

        fn force_refresh(&self) {
            self.0.force_refresh();
        }

        fn subscribe(&self) -> Receiver<Event> {
            self.0.subscribe()
        }
    };
}

/// The async methods every async manager has under the same names.
macro_rules! async_methods {
    () => {
        sync_methods!();

        fn token(&self) -> impl Future<Output = Result<Arc<AccessToken>, TokenError>> + Send {
            self.0.token_owned()
        }

        fn authorization(
            &self,
        ) -> impl Future<Output = Result<http::HeaderValue, TokenError>> + Send {
            self.0.authorization()
        }

        fn update_api_key(
            &self,
            id: &str,
            secret: ApiKeySecret,
        ) -> impl Future<Output = Result<(), TokenError>> + Send {
            self.0.update_api_key(id.to_owned(), secret)
        }

        fn export(&self) -> impl Future<Output = Option<SavedTokens>> + Send {
            self.0.export()
        }

        fn restore(&self, saved: SavedTokens) -> impl Future<Output = bool> + Send {
            self.0.restore(saved)
        }

        fn shutdown(&self) -> impl Future<Output = ()> + Send {
            self.0.shutdown()
        }
    };
}

/// The tokio manager (reqwest) on a two-worker runtime.
#[derive(Clone, Debug)]
pub struct Tokio(pub revault_auth::tokio::TokenManager);

impl Manager for Tokio {
    const DRIVES_ITSELF: bool = true;
    const CROWD: usize = 10_000;

    fn run<F: Future>(scenario: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(scenario)
    }

    fn spawn<T: Send + 'static>(task: impl Future<Output = T> + Send + 'static) -> Task<T> {
        let handle = tokio::spawn(task);
        Box::pin(async move { handle.await.expect("the task ran") })
    }

    fn build(config: Config, mut options: Options) -> Self {
        use revault_auth::tokio::{ReqwestTransport, TokenManager};
        let built = match std::mem::take(&mut options.via) {
            Via::Default => {
                let transport = ReqwestTransport::new().expect("a client");
                finish!(TokenManager::builder(config, transport), options)
            }
            Via::FollowingClient => {
                // reqwest's own client follows up to ten redirects.
                let transport = ReqwestTransport::from_client(reqwest::Client::new());
                finish!(TokenManager::builder(config, transport), options)
            }
            Via::Scripted(transport) => finish!(TokenManager::builder(config, transport), options),
            Via::Panicky => {
                let transport = Panicky::new(ReqwestTransport::new().expect("a client"));
                finish!(TokenManager::builder(config, transport), options)
            }
        };
        Self(built.expect("a manager"))
    }

    fn from_env() -> Result<(), TokenError> {
        revault_auth::tokio::TokenManager::from_env().map(drop)
    }

    async_methods!();
}

/// An executor the async-std manager runs under.
pub trait Executor: Clone + Debug + Send + Sync + 'static {
    fn block_on<F: Future>(future: F) -> F::Output;
    fn spawn<T: Send + 'static>(task: impl Future<Output = T> + Send + 'static) -> Task<T>;
}

#[derive(Clone, Debug)]
pub struct OnAsyncStd;

impl Executor for OnAsyncStd {
    fn block_on<F: Future>(future: F) -> F::Output {
        async_std::task::block_on(future)
    }

    fn spawn<T: Send + 'static>(task: impl Future<Output = T> + Send + 'static) -> Task<T> {
        Box::pin(async_std::task::spawn(task))
    }
}

#[derive(Clone, Debug)]
pub struct OnSmol;

impl Executor for OnSmol {
    fn block_on<F: Future>(future: F) -> F::Output {
        smol::block_on(future)
    }

    fn spawn<T: Send + 'static>(task: impl Future<Output = T> + Send + 'static) -> Task<T> {
        Box::pin(smol::spawn(task))
    }
}

/// The async-std manager (ureq on the blocking pool) under an executor.
#[derive(Clone, Debug)]
pub struct AsyncIo<E>(pub revault_auth::async_std::TokenManager, PhantomData<E>);

pub type AsyncStd = AsyncIo<OnAsyncStd>;
pub type Smol = AsyncIo<OnSmol>;

impl<E: Executor> Manager for AsyncIo<E> {
    const DRIVES_ITSELF: bool = true;
    const CROWD: usize = 64;

    fn run<F: Future>(scenario: F) -> F::Output {
        E::block_on(scenario)
    }

    fn spawn<T: Send + 'static>(task: impl Future<Output = T> + Send + 'static) -> Task<T> {
        E::spawn(task)
    }

    fn build(config: Config, mut options: Options) -> Self {
        use revault_auth::async_std::{TokenManager, UreqTransport};
        let built = match std::mem::take(&mut options.via) {
            Via::Default => finish!(TokenManager::builder(config, UreqTransport::new()), options),
            Via::FollowingClient => {
                let transport = UreqTransport::with_agent(following_agent());
                finish!(TokenManager::builder(config, transport), options)
            }
            Via::Scripted(transport) => finish!(TokenManager::builder(config, transport), options),
            Via::Panicky => {
                let transport = Panicky::new(UreqTransport::new());
                finish!(TokenManager::builder(config, transport), options)
            }
        };
        Self(built.expect("a manager"), PhantomData)
    }

    fn from_env() -> Result<(), TokenError> {
        revault_auth::async_std::TokenManager::from_env().map(drop)
    }

    async_methods!();
}

/// The blocking ureq manager: the scenario runs on the test's thread and
/// every spawned task on a thread of its own.
#[derive(Clone, Debug)]
pub struct Ureq(pub revault_auth::ureq::BlockingTokenManager);

impl Manager for Ureq {
    const DRIVES_ITSELF: bool = false;
    const CROWD: usize = 64;

    fn run<F: Future>(scenario: F) -> F::Output {
        smol::block_on(scenario)
    }

    fn spawn<T: Send + 'static>(task: impl Future<Output = T> + Send + 'static) -> Task<T> {
        Box::pin(smol::unblock(move || smol::block_on(task)))
    }

    fn build(config: Config, mut options: Options) -> Self {
        let builder = revault_auth::ureq::BlockingTokenManager::builder(config);
        let builder = match std::mem::take(&mut options.via) {
            Via::Default => builder,
            Via::FollowingClient => builder.agent(following_agent()),
            Via::Scripted(transport) => builder.transport(transport),
            Via::Panicky => {
                builder.transport(Panicky::new(revault_auth::ureq::UreqTransport::new()))
            }
        };
        Self(finish!(builder, options))
    }

    fn from_env() -> Result<(), TokenError> {
        revault_auth::ureq::BlockingTokenManager::from_env().map(drop)
    }

    fn token(&self) -> impl Future<Output = Result<Arc<AccessToken>, TokenError>> + Send {
        let manager = self.0.clone();
        async move { manager.token_owned() }
    }

    fn authorization(&self) -> impl Future<Output = Result<http::HeaderValue, TokenError>> + Send {
        let manager = self.0.clone();
        async move { manager.authorization() }
    }

    fn update_api_key(
        &self,
        id: &str,
        secret: ApiKeySecret,
    ) -> impl Future<Output = Result<(), TokenError>> + Send {
        std::future::ready(self.0.update_api_key(id, secret))
    }

    fn export(&self) -> impl Future<Output = Option<SavedTokens>> + Send {
        std::future::ready(self.0.export())
    }

    fn restore(&self, saved: SavedTokens) -> impl Future<Output = bool> + Send {
        std::future::ready(self.0.restore(saved))
    }

    sync_methods!();

    fn shutdown(&self) -> impl Future<Output = ()> + Send {
        self.0.shutdown();
        std::future::ready(())
    }
}

/// A ureq agent of the user's that would follow redirects.
fn following_agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .max_redirects(10)
        .http_status_as_error(true)
        .build();
    ureq::Agent::new_with_config(config)
}

/// One test per manager, `$scenario::$test`, running `super::$scenario`.
macro_rules! instantiate {
    ($scenario:ident: $($test:ident => $manager:ty),+) => {
        mod $scenario {
            use crate::manager::Manager as _;
            $(#[test]
            fn $test() {
                <$manager>::run(super::$scenario::<$manager>());
            })+
        }
    };
}

/// Instantiates each named scenario, `async fn name<M: Manager>()`, once per
/// manager: tests `name::tokio`, `name::async_std`, `name::smol`, `name::ureq`.
macro_rules! every_manager {
    ($($scenario:ident),+ $(,)?) => {$(
        instantiate!($scenario: tokio => crate::manager::Tokio,
            async_std => crate::manager::AsyncStd, smol => crate::manager::Smol,
            ureq => crate::manager::Ureq);
    )+};
}

/// A manager with a per-thread reader (the async managers).
pub trait Reads: Manager {
    fn reader(&self) -> revault_auth::tokio::TokenReader;
}

impl Reads for Tokio {
    fn reader(&self) -> revault_auth::tokio::TokenReader {
        self.0.reader()
    }
}

impl<E: Executor> Reads for AsyncIo<E> {
    fn reader(&self) -> revault_auth::tokio::TokenReader {
        self.0.reader()
    }
}

/// [`every_manager!`] for the managers with a reader.
macro_rules! every_reader {
    ($($scenario:ident),+ $(,)?) => {$(
        instantiate!($scenario: tokio => crate::manager::Tokio,
            async_std => crate::manager::AsyncStd, smol => crate::manager::Smol);
    )+};
}
