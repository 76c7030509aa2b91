//! The reqwest middleware.

use std::sync::Arc;

use http::Extensions;
use reqwest::header::AUTHORIZATION;
use reqwest::{Request, Response, StatusCode};
use reqwest_middleware::{Error, Middleware, Next};
use revault_auth_tokio::TokenManager;

use crate::{Unauthorized, fresh_token, report_unauthorized};

/// A [`reqwest_middleware::Middleware`] that authorizes each request with a
/// revault-api token and retries once after a 401 when
/// [`Request::try_clone`] succeeds. See the crate docs.
#[derive(Clone, Debug)]
pub struct AuthMiddleware {
    manager: Arc<TokenManager>,
}

impl AuthMiddleware {
    /// A middleware taking tokens from `manager`.
    pub fn new(manager: Arc<TokenManager>) -> Self {
        Self { manager }
    }
}

#[async_trait::async_trait]
impl Middleware for AuthMiddleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let manager = &*self.manager;
        let token = manager.token_owned().await.map_err(Error::middleware)?;
        request
            .headers_mut()
            .insert(AUTHORIZATION, token.header_value().clone());
        let replay = request.try_clone();
        let response = next.clone().run(request, extensions).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some(mut replay) = replay else {
            report_unauthorized(manager, &token, Unauthorized::NotReplayable);
            return Ok(response);
        };
        report_unauthorized(manager, &token, Unauthorized::Retried);
        let Some(fresh) = fresh_token(manager, &token)
            .await
            .map_err(Error::middleware)?
        else {
            return Ok(response);
        };
        drop(response);
        replay
            .headers_mut()
            .insert(AUTHORIZATION, fresh.header_value().clone());
        let response = next.run(replay, extensions).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            report_unauthorized(manager, &fresh, Unauthorized::RetryRejected);
        }
        Ok(response)
    }
}
