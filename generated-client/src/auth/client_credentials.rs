//! Easemob-style client credentials: `POST /{org_name}/{app_name}/token` trades a client id
//! and secret for an app token valid `expires_in` seconds.

use super::access_token::{Clock, SystemClock};
use super::cache::{CachedToken, FetchToken, FetchedToken, RefreshPolicy};
use super::{AuthError, BoxFuture, TokenSource};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A client id and secret, exchanged at the app's token endpoint.
#[derive(Clone)]
pub struct ClientCredentials {
    client_id: String,
    client_secret: Secret,
    ttl_secs: Option<u64>,
    clock: Arc<dyn Clock>,
    policy: RefreshPolicy,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            ttl_secs: None,
            clock: Arc::new(SystemClock),
            policy: RefreshPolicy::default(),
        }
    }

    /// The lifetime to ask for; the service's default when unset.
    pub fn ttl_secs(mut self, ttl: u64) -> Self {
        self.ttl_secs = Some(ttl);
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The caching source for the token endpoint at `token_url`, through `http`.
    pub(crate) fn into_source(
        self,
        http: reqwest::Client,
        token_url: reqwest::Url,
    ) -> ClientCredentialsSource {
        let clock = self.clock.clone();
        let policy = self.policy;
        let exchange = Exchange {
            http,
            token_url,
            credentials: self,
        };
        ClientCredentialsSource {
            cache: CachedToken::new(exchange, clock, policy),
        }
    }
}

#[derive(Serialize)]
struct TokenRequest<'a> {
    grant_type: &'static str,
    client_id: &'a str,
    client_secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<u64>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

struct Exchange {
    http: reqwest::Client,
    token_url: reqwest::Url,
    credentials: ClientCredentials,
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("token_url", &self.token_url.as_str())
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl FetchToken for Exchange {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        Box::pin(async move {
            let request = TokenRequest {
                grant_type: "client_credentials",
                client_id: &self.credentials.client_id,
                client_secret: self.credentials.client_secret.expose(),
                ttl: self.credentials.ttl_secs,
            };
            let body = serde_json::to_vec(&request).map_err(AuthError::Decode)?;
            let issued_at = self.credentials.clock.now_unix();
            let response = self
                .http
                .post(self.token_url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::ACCEPT, "application/json")
                .body(body)
                .send()
                .await
                .map_err(AuthError::Transport)?;
            let status = response.status().as_u16();
            let bytes = response.bytes().await.map_err(AuthError::Transport)?;
            if !(200..300).contains(&status) {
                let description = serde_json::from_slice::<crate::types::ErrorBody>(&bytes)
                    .ok()
                    .and_then(|body| body.error_description)
                    .unwrap_or_else(|| crate::error::RawBody::new(&bytes).to_string());
                return Err(AuthError::Endpoint {
                    status,
                    description,
                });
            }
            let answer: TokenResponse =
                serde_json::from_slice(&bytes).map_err(AuthError::Decode)?;
            // Easemob answers `expires_in: 0` for a token that does not expire.
            let expires_at = match answer.expires_in {
                0 => u64::MAX,
                seconds => issued_at.saturating_add(seconds),
            };
            Ok(FetchedToken {
                token: Secret::new(answer.access_token),
                issued_at,
                expires_at,
            })
        })
    }
}

/// The token source built from [`ClientCredentials`].
#[derive(Debug)]
pub struct ClientCredentialsSource {
    cache: CachedToken<Exchange>,
}

impl TokenSource for ClientCredentialsSource {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(self.cache.get())
    }

    fn invalidate(&self, rejected: &Secret) -> bool {
        self.cache.invalidate(rejected)
    }
}
