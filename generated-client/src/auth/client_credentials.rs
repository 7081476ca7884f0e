//! Easemob-style client credentials: `POST /{org_name}/{app_name}/token` trades a client id
//! and secret for an app token valid `expires_in` seconds. The exchange has its own HTTP
//! client (its own connect timeout; never following a redirect, which would carry the
//! secret elsewhere), its own total time limit and a bounded answer.

use super::access_token::{Clock, SystemClock};
use super::cache::{CachedToken, FetchToken, FetchedToken, RefreshPolicy};
use super::{AuthError, BoxFuture, TokenSource};
use crate::secret::Secret;
use crate::transport::{self, Failure};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A client id and secret, exchanged at the app's token endpoint.
#[derive(Clone)]
pub struct ClientCredentials {
    client_id: String,
    client_secret: Secret,
    ttl_secs: Option<u64>,
    clock: Arc<dyn Clock>,
    policy: RefreshPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("ttl_secs", &self.ttl_secs)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// The client id and secret from the console. Tokens are fetched on the first call,
    /// cached and refreshed before they expire; nothing is checked until then.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            ttl_secs: None,
            clock: Arc::new(SystemClock),
            policy: RefreshPolicy::default(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024,
        }
    }

    /// The time limit of one token request, from sending to the end of the answer (10 s by
    /// default). A refresh stuck longer is abandoned, so a later call can try again.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time limit for connecting to the token endpoint (5 s by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest token answer accepted, in bytes (64 KiB by default).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// The lifetime to ask for; the service's default when unset.
    pub fn ttl_secs(mut self, ttl: u64) -> Self {
        self.ttl_secs = Some(ttl);
        self
    }

    /// The clock that decides when a token is due for refresh (for tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// When cached tokens are refreshed ([`RefreshPolicy::default`] unless set).
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The caching source for the token endpoint at `token_url`, through an HTTP client of
    /// its own (a user-supplied API client may follow redirects; this one never does).
    pub(crate) fn into_source(
        self,
        token_url: reqwest::Url,
        allow_http: bool,
    ) -> Result<ClientCredentialsSource, crate::HttpError> {
        let http = crate::transport::build_http(self.connect_timeout, allow_http)?;
        let clock = self.clock.clone();
        let policy = self.policy;
        let exchange = Exchange {
            http,
            token_url,
            credentials: self,
            watchdog: crate::watchdog::Watchdog::default(),
        };
        Ok(ClientCredentialsSource {
            cache: CachedToken::new(exchange, clock, policy),
        })
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
    watchdog: crate::watchdog::Watchdog,
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
            let body = bytes::Bytes::from(
                serde_json::to_vec(&request)
                    .map_err(|e| AuthError::Decode(crate::JsonError::new(e)))?,
            );
            let issued_at = self.credentials.clock.now_unix();
            let request = transport::Request {
                method: reqwest::Method::POST,
                url: self.token_url.clone(),
                may_follow_redirects: false,
                bearer: None,
                body: Some(&body),
                timeout: self.credentials.timeout,
                watchdog: &self.watchdog,
                max_body: self.credentials.max_response_bytes,
            };
            let answer = transport::send(&self.http, request)
                .await
                .map_err(auth_error)?;
            let (status, bytes) = (answer.status, answer.body);
            if !(200..300).contains(&status) {
                return Err(endpoint_error(status, &bytes));
            }
            let answer: TokenResponse = serde_json::from_slice(&bytes)
                .map_err(|e| AuthError::Decode(crate::JsonError::new(e)))?;
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

fn auth_error(failure: Failure) -> AuthError {
    match failure {
        Failure::Http(source) => AuthError::Transport(crate::HttpError::new(source)),
        Failure::TimedOut(limit) => AuthError::Transport(crate::HttpError::timed_out(limit)),
        Failure::TooLarge { limit, .. } => AuthError::TooLarge { limit },
        Failure::Redirect(redirect) => AuthError::Redirect(redirect),
    }
}

/// The endpoint's error: its `error_description`, or the start of the raw body.
fn endpoint_error(status: u16, bytes: &[u8]) -> AuthError {
    let description = serde_json::from_slice::<crate::types::ErrorBody>(bytes)
        .ok()
        .and_then(|body| body.error_description)
        .unwrap_or_else(|| raw_text(bytes));
    AuthError::Endpoint {
        status,
        description,
    }
}

/// The start of a body that is not the service's error JSON, for the error message (auth
/// keeps to itself: `error` depends on `auth`, not the other way round).
fn raw_text(bytes: &[u8]) -> String {
    const KEPT: usize = 512;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(KEPT)]);
    match bytes.len() {
        0 => "(empty)".to_owned(),
        len if len > KEPT => format!("{text:?} (first {KEPT} of {len} bytes)"),
        _ => format!("{text:?}"),
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

    fn ready(&self) -> Option<Secret> {
        self.cache.ready()
    }

    fn invalidate(&self, rejected: &Secret) -> bool {
        self.cache.invalidate(rejected)
    }
}
