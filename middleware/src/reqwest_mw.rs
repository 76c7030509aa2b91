//! The reqwest middleware.

use std::sync::Arc;
use std::time::Duration;

use http::Extensions;
use reqwest::header::AUTHORIZATION;
use reqwest::{Request, Response, StatusCode};
use reqwest_middleware::{Error, Middleware, Next};
use revault_auth_shared::TokenSource;

use crate::unauthorized::UnauthorizedPolicy;
use crate::{Guard, Origin, Scope};

/// A [`reqwest_middleware::Middleware`] that authorizes each request for
/// the API's origin with a revault-api token and applies the 401 policy,
/// retrying once when [`Request::try_clone`] succeeds. See the crate docs.
#[derive(Debug)]
pub struct AuthMiddleware<S> {
    guard: Arc<Guard<S>>,
}

impl<S> Clone for AuthMiddleware<S> {
    fn clone(&self) -> Self {
        Self {
            guard: Arc::clone(&self.guard),
        }
    }
}

impl<S: TokenSource> AuthMiddleware<S> {
    /// A middleware taking tokens from `source` (any manager, or an `Arc`
    /// of one), for requests to its API's origin only.
    pub fn new(source: S) -> Self {
        Self {
            guard: Arc::new(Guard::new(source)),
        }
    }
}

impl<S: TokenSource + Clone> AuthMiddleware<S> {
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
    pub fn cool_down(mut self, cool_down: Duration) -> Self {
        Guard::adjust(&mut self.guard, |guard| {
            guard.policy = UnauthorizedPolicy::new(cool_down);
        });
        self
    }
}

fn origin(request: &Request) -> Option<Origin> {
    let url = request.url();
    Origin::from_parts(url.scheme(), url.host_str()?, url.port())
}

#[async_trait::async_trait]
impl<S: TokenSource> Middleware for AuthMiddleware<S> {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let guard = &*self.guard;
        if !guard.scope.covers(origin(&request)) {
            // Another host: it gets no token, and its 401s are its own.
            return next.run(request, extensions).await;
        }
        let token = guard
            .source
            .token_owned()
            .await
            .map_err(Error::middleware)?;
        request
            .headers_mut()
            .insert(AUTHORIZATION, token.header_value().clone());
        let replay = request.try_clone();
        let response = next.clone().run(request, extensions).await?;
        if response.status() != StatusCode::UNAUTHORIZED
            || !guard.first_rejected(&token, response.headers(), replay.is_some())
        {
            return Ok(response);
        }
        let Some(mut replay) = replay else {
            return Ok(response);
        };
        let fresh = guard.fresh_token(&token).await.map_err(Error::middleware)?;
        let Some(fresh) = fresh else {
            return Ok(response);
        };
        drop(response);
        replay
            .headers_mut()
            .insert(AUTHORIZATION, fresh.header_value().clone());
        let response = next.run(replay, extensions).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            guard.retry_rejected(&fresh, response.headers());
        }
        Ok(response)
    }
}
