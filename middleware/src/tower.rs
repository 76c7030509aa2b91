//! The tower layer: [`AuthLayer`], [`AuthService`] and the replay policies.

use std::error::Error;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use http_body_util::{Either, Empty, Full};
use revault_auth_core::{AccessToken, TokenError};
use revault_auth_shared::TokenSource;
use tower_layer::Layer;
use tower_service::Service;

use crate::{Guard, Origin, Scope};

/// Decides, from its body, whether a request that got a 401 can be sent a
/// second time with a new token. See the crate docs for the policies
/// provided.
pub trait ReplayPolicy<B> {
    /// A copy of `body` to send again, or `None` to return the 401 as it
    /// is. Called before the request is first sent.
    fn replay(&self, body: &B) -> Option<B>;
}

/// The default policy: retries bodies held in memory (`Full`, `Empty`,
/// `String`, `Vec<u8>`, `Bytes`, static slices, and `Either` of those);
/// never retries `BoxBody`, `UnsyncBoxBody` or `hyper::body::Incoming`.
#[derive(Clone, Copy, Debug, Default)]
pub struct BufferedBodies;

/// Retries any body type that is `Clone`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneBodies;

/// Never retries; accepts any body type. The 401 is still reported to the
/// token manager, so the next request gets a new token.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRetry;

impl<B: Clone> ReplayPolicy<B> for CloneBodies {
    fn replay(&self, body: &B) -> Option<B> {
        Some(body.clone())
    }
}

impl<B> ReplayPolicy<B> for NoRetry {
    fn replay(&self, _: &B) -> Option<B> {
        None
    }
}

macro_rules! replay_by_clone {
    ($([$($param:ident),*] $body:ty;)*) => {$(
        impl<$($param: Clone),*> ReplayPolicy<$body> for BufferedBodies {
            fn replay(&self, body: &$body) -> Option<$body> {
                Some(body.clone())
            }
        }
    )*};
}

replay_by_clone! {
    [D] Full<D>;
    [] String;
    [] Vec<u8>;
    [] Bytes;
    [] &'static str;
    [] &'static [u8];
}

impl<D> ReplayPolicy<Empty<D>> for BufferedBodies {
    fn replay(&self, _: &Empty<D>) -> Option<Empty<D>> {
        Some(Empty::new())
    }
}

impl<L, R> ReplayPolicy<Either<L, R>> for BufferedBodies
where
    Self: ReplayPolicy<L> + ReplayPolicy<R>,
{
    fn replay(&self, body: &Either<L, R>) -> Option<Either<L, R>> {
        match body {
            Either::Left(left) => self.replay(left).map(Either::Left),
            Either::Right(right) => self.replay(right).map(Either::Right),
        }
    }
}

macro_rules! never_replay {
    ($([$($param:ident),*] $body:ty;)*) => {$(
        impl<$($param),*> ReplayPolicy<$body> for BufferedBodies {
            fn replay(&self, _: &$body) -> Option<$body> {
                None
            }
        }
    )*};
}

never_replay! {
    [D, E] BoxBody<D, E>;
    [D, E] UnsyncBoxBody<D, E>;
    [] hyper::body::Incoming;
}

/// Wraps a service in [`AuthService`]: see the crate docs. Services made
/// by one layer (and their clones) share one 401 policy.
#[derive(Debug)]
pub struct AuthLayer<S, P = BufferedBodies> {
    guard: Arc<Guard<S>>,
    replay: P,
}

impl<S, P: Clone> Clone for AuthLayer<S, P> {
    fn clone(&self) -> Self {
        Self {
            guard: Arc::clone(&self.guard),
            replay: self.replay.clone(),
        }
    }
}

impl<S: TokenSource> AuthLayer<S> {
    /// A layer taking tokens from `source` (any manager, or an `Arc` of
    /// one), attaching them to requests for its API's origin only, and
    /// retrying after a 401 the requests whose body [`BufferedBodies`] can
    /// replay.
    pub fn new(source: S) -> Self {
        Self {
            guard: Arc::new(Guard::new(source)),
            replay: BufferedBodies,
        }
    }
}

impl<S: TokenSource + Clone, P> AuthLayer<S, P> {
    /// The same layer with another [`ReplayPolicy`] ([`CloneBodies`],
    /// [`NoRetry`] or your own).
    pub fn replay_policy<Q>(self, replay: Q) -> AuthLayer<S, Q> {
        AuthLayer {
            guard: self.guard,
            replay,
        }
    }

    /// Also attaches the token to requests for `origin`.
    #[must_use]
    pub fn allow_origin(mut self, origin: Origin) -> Self {
        Guard::adjust(&mut self.guard, |guard| guard.scope.allow(origin));
        self
    }

    /// Attaches the token to every request, whatever its host. Only for a
    /// client that talks to revault-api alone.
    #[must_use]
    pub fn any_origin(mut self) -> Self {
        Guard::adjust(&mut self.guard, |guard| guard.scope = Scope::Anywhere);
        self
    }

    /// How long a token whose retry got a 401 too is vouched for (default
    /// [`DEFAULT_COOL_DOWN`](crate::DEFAULT_COOL_DOWN)).
    #[must_use]
    pub fn cool_down(mut self, cool_down: std::time::Duration) -> Self {
        Guard::adjust(&mut self.guard, |guard| {
            guard.policy = crate::unauthorized::UnauthorizedPolicy::new(cool_down);
        });
        self
    }
}

impl<I, S, P: Clone> Layer<I> for AuthLayer<S, P> {
    type Service = AuthService<I, S, P>;

    fn layer(&self, inner: I) -> Self::Service {
        AuthService {
            inner,
            guard: Arc::clone(&self.guard),
            replay: self.replay.clone(),
        }
    }
}

/// A service that authorizes each request for the API's origin with a
/// revault-api token and applies the 401 policy. Built by [`AuthLayer`].
#[derive(Debug)]
pub struct AuthService<I, S, P = BufferedBodies> {
    inner: I,
    guard: Arc<Guard<S>>,
    replay: P,
}

impl<I: Clone, S, P: Clone> Clone for AuthService<I, S, P> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            guard: Arc::clone(&self.guard),
            replay: self.replay.clone(),
        }
    }
}

/// Why an [`AuthService`] call failed. Both variants display and chain as
/// the error they wrap (which never carries a secret).
#[derive(Debug)]
pub enum AuthServiceError<E> {
    /// No token could be had; the request (or its retry) was not sent.
    Token(TokenError),
    /// The inner service failed.
    Inner(E),
}

impl<E: fmt::Display> fmt::Display for AuthServiceError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(error) => error.fmt(f),
            Self::Inner(error) => error.fmt(f),
        }
    }
}

impl<E: Error + 'static> Error for AuthServiceError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Token(error) => error.source(),
            Self::Inner(error) => error.source(),
        }
    }
}

/// tower's and tonic's `BoxError`.
type BoxError = Box<dyn Error + Send + Sync>;

impl<E: Into<BoxError>> AuthServiceError<E> {
    /// The error as a `BoxError`. `AuthServiceError<E>` is an [`Error`], and
    /// so converts into a `BoxError`, only when `E` is one; for an inner
    /// service failing with a `BoxError` already (tower's `Buffer`, a
    /// `service_fn`), put `.map_err(AuthServiceError::into_box_error)`
    /// outside the layer.
    pub fn into_box_error(self) -> BoxError {
        match self {
            Self::Token(error) => Box::new(error),
            Self::Inner(error) => error.into(),
        }
    }
}

/// The future of an [`AuthService`] call.
pub type ResponseFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<I, S, P, B, ResBody> Service<Request<B>> for AuthService<I, S, P>
where
    I: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    I::Future: Send,
    I::Error: Send,
    S: TokenSource,
    P: ReplayPolicy<B>,
    B: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = AuthServiceError<I::Error>;
    type Future = ResponseFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(AuthServiceError::Inner)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The instance `poll_ready` found ready serves this call; a clone
        // waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !self.guard.scope.covers(Origin::of(request.uri())) {
            // Another host: it gets no token, and its 401s are its own.
            let call = inner.call(request);
            return Box::pin(async move { call.await.map_err(AuthServiceError::Inner) });
        }
        let guard = Arc::clone(&self.guard);
        let (parts, body) = request.into_parts();
        let replay = self
            .replay
            .replay(&body)
            .map(|copy| Request::from_parts(parts.clone(), copy));
        let request = Request::from_parts(parts, body);
        Box::pin(async move {
            let token = guard
                .source
                .token_owned()
                .await
                .map_err(AuthServiceError::Token)?;
            let response = inner
                .call(authorize(request, &token))
                .await
                .map_err(AuthServiceError::Inner)?;
            if response.status() != StatusCode::UNAUTHORIZED
                || !guard.first_rejected(&token, response.headers(), replay.is_some())
            {
                return Ok(response);
            }
            let Some(replay) = replay else {
                return Ok(response);
            };
            let fresh = guard.fresh_token(&token).await;
            let Some(fresh) = fresh.map_err(AuthServiceError::Token)? else {
                return Ok(response);
            };
            drop(response);
            poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(AuthServiceError::Inner)?;
            let response = inner
                .call(authorize(replay, &fresh))
                .await
                .map_err(AuthServiceError::Inner)?;
            if response.status() == StatusCode::UNAUTHORIZED {
                guard.retry_rejected(&fresh, response.headers());
            }
            Ok(response)
        })
    }
}

fn authorize<B>(mut request: Request<B>, token: &AccessToken) -> Request<B> {
    request
        .headers_mut()
        .insert(AUTHORIZATION, token.header_value().clone());
    request
}
