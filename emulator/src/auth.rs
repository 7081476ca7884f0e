//! Bearer token verification.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::service_error::ServiceError;

/// How the emulator decides whether a bearer token is valid.
///
/// An enum so that AccessToken2 verification (and a token endpoint) can be
/// added as another variant without touching the routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Exactly this token is accepted.
    Static(String),
}

impl Auth {
    /// Checks the request's `Authorization: Bearer <token>` header.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ServiceError> {
        let token = bearer_token(headers).ok_or_else(ServiceError::unauthorized)?;
        match self {
            Auth::Static(expected) if token == expected => Ok(()),
            Auth::Static(_) => Err(ServiceError::bad_access_token()),
        }
    }
}

// None when the header is missing, not text, not Bearer, or empty.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
