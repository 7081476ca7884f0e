//! Where the bearer token of each call comes from: a fixed token, App ID + App Certificate
//! (minted locally), client credentials (a token endpoint), or any [`TokenSource`].

pub mod access_token;
// The token cache is plumbing; only its refresh policy is configuration users set.
mod cache;
#[cfg(feature = "client")]
mod client_credentials;

use crate::secret::Secret;
use access_token::{Clock, RandomSalt, SaltSource, SystemClock, TokenError, TokenMinter};
pub use cache::RefreshPolicy;
use cache::{CachedToken, FetchToken, FetchedToken};
#[cfg(feature = "client")]
pub use client_credentials::ClientCredentials;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed future, so that token sources stay object safe without extra dependencies.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Supplies the app token for each call. `Debug` must never print a secret.
///
/// Implement it to take tokens from somewhere the crate does not know (a vault, another
/// service) and pass it to `ClientBuilder::token_source`.
/// The client calls [`token`](Self::token) before every attempt, so cache inside the source.
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// The token to send with the next attempt. An error fails the call with
    /// `Error::Auth` before anything is sent.
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>>;

    /// The token, when it is at hand without waiting (a fixed token, a cached one that is
    /// still fresh): the client then skips [`token`](Self::token) and its boxed future.
    /// `None`, the default, means "ask `token`".
    fn ready(&self) -> Option<Secret> {
        None
    }

    /// The service rejected `rejected` as expired: forget it. Returns whether the next
    /// [`token`](Self::token) can be a different one (only then is the call retried).
    fn invalidate(&self, _rejected: &Secret) -> bool {
        false
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The App ID or App Certificate is malformed, or the token could not be encoded.
    #[error("cannot mint an app token")]
    Mint(#[from] TokenError),
    /// The token endpoint answered with an error status.
    #[error("the token endpoint answered HTTP {status}: {description}")]
    Endpoint {
        /// The token endpoint's HTTP status.
        status: u16,
        /// The endpoint's `error_description`, or the start of its body.
        description: String,
    },
    /// The token endpoint could not be reached or its answer could not be read.
    #[cfg(feature = "client")]
    #[error("cannot reach the token endpoint")]
    Transport(#[source] crate::HttpError),
    /// The token endpoint's answer (or the request to it) is not the documented JSON.
    #[error("cannot decode the token endpoint's answer")]
    Decode(#[source] crate::JsonError),
    /// Earlier refreshes failed and no valid token is left; no new attempt until the backoff ends.
    #[error(
        "no valid app token; next refresh attempt in {retry_in_secs} s (last error: {last_error})"
    )]
    Backoff {
        /// Seconds until the next refresh attempt is allowed.
        retry_in_secs: u64,
        /// The last refresh failure, as text (it never contains a secret).
        last_error: String,
    },
    /// No token arrived within the attempt's time limit (a refresh in flight, a slow source).
    #[error("no token within the attempt's time limit")]
    TimedOut,
    /// The token endpoint answered with a redirect, which is never followed (it would carry
    /// the client secret to another origin).
    #[cfg(feature = "client")]
    #[error("the token endpoint answered {0}; not followed")]
    Redirect(crate::transport::Redirect),
    /// The token endpoint's answer is larger than the client accepts.
    #[error("the token endpoint's answer is larger than {limit} bytes")]
    TooLarge {
        /// The largest answer accepted, in bytes.
        limit: usize,
    },
    /// A user-supplied source failed; the message must not contain secrets.
    #[error("token source failed: {0}")]
    Source(String),
}

/// A fixed app token, e.g. one minted elsewhere. It cannot be refreshed.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// Sends `token` with every call. Once it expires the service rejects every call
    /// (HTTP 401); build a new client with a new token.
    pub fn new(token: impl Into<Secret>) -> Self {
        Self(token.into())
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }

    fn ready(&self) -> Option<Secret> {
        Some(self.0.clone())
    }
}

/// App ID + App Certificate (each 32 hex characters, from the console): app tokens are minted
/// locally, cached, and refreshed before they expire.
#[derive(Clone)]
pub struct AppCredentials {
    app_id: String,
    certificate: Secret,
    lifetime: Duration,
    clock: Arc<dyn Clock>,
    salts: Arc<dyn SaltSource>,
    policy: RefreshPolicy,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("certificate", &self.certificate)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl AppCredentials {
    /// Tokens live one hour by default (at most 24 hours).
    pub fn new(app_id: impl Into<String>, certificate: impl Into<Secret>) -> Self {
        Self {
            app_id: app_id.into(),
            certificate: certificate.into(),
            lifetime: Duration::from_secs(3600),
            clock: Arc::new(SystemClock),
            salts: Arc::new(RandomSalt),
            policy: RefreshPolicy::default(),
        }
    }

    /// How long each minted token is valid: 1 s to 24 h (whole seconds).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The clock tokens are issued by (for tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The salt of each token (for tests).
    pub fn salt_source(mut self, salts: Arc<dyn SaltSource>) -> Self {
        self.salts = salts;
        self
    }

    /// When cached tokens are refreshed ([`RefreshPolicy::default`] unless set).
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Checks the credentials and the lifetime, and builds the caching source.
    pub fn into_source(self) -> Result<AppTokenSource, AuthError> {
        let secs = self.lifetime.as_secs();
        let lifetime_secs = u32::try_from(secs)
            .ok()
            .filter(|secs| (1..=access_token::MAX_EXPIRE_SECS).contains(secs))
            .ok_or(TokenError::ExpireOutOfRange(
                u32::try_from(secs).unwrap_or(u32::MAX),
            ))?;
        let minter = TokenMinter::new(&self.app_id, self.certificate)?
            .with_clock(self.clock.clone())
            .with_salt_source(self.salts);
        let mint = Mint {
            minter,
            lifetime_secs,
        };
        Ok(AppTokenSource {
            cache: CachedToken::new(mint, self.clock, self.policy),
        })
    }
}

#[derive(Debug)]
struct Mint {
    minter: TokenMinter,
    lifetime_secs: u32,
}

impl FetchToken for Mint {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken, AuthError>> {
        let minted = self
            .minter
            .mint_app_token(self.lifetime_secs)
            .map(|minted| FetchedToken {
                token: minted.token,
                issued_at: minted.issued_at,
                expires_at: minted.expires_at,
            });
        Box::pin(std::future::ready(minted.map_err(AuthError::Mint)))
    }
}

/// The token source built from [`AppCredentials`].
#[derive(Debug)]
pub struct AppTokenSource {
    cache: CachedToken<Mint>,
}

impl TokenSource for AppTokenSource {
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
