//! Where the bearer token of each call comes from.

pub mod access_token;

use crate::secret::Secret;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed future, so that token sources stay object safe without extra dependencies.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Supplies the app token for each call. Implementations cache and refresh as they see fit;
/// `Debug` must never print a secret.
pub trait TokenSource: Send + Sync + fmt::Debug {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>>;
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    #[error("cannot mint an app token: {0}")]
    Mint(#[from] access_token::TokenError),
    /// A user-supplied source failed; the message must not contain secrets.
    #[error("token source failed: {0}")]
    Source(String),
}

/// A fixed app token, e.g. one minted elsewhere.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    pub fn new(token: impl Into<Secret>) -> Self {
        Self(token.into())
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }
}
