//! `POST /{org}/{app}/token`: Easemob-style client credentials.
//!
//! Body `{"grant_type": "client_credentials", "client_id": .., "client_secret":
//! .., "ttl": ..}`; answer `{"access_token": .., "expires_in": .., "application":
//! ..}` (no envelope). `ttl` is in seconds: absent means
//! [`DEFAULT_TOKEN_TTL_SECS`](crate::DEFAULT_TOKEN_TTL_SECS), 0 means the token
//! never expires (as on Easemob).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;

use super::{APPLICATION_ID, read_object, string_field, u64_field};
use crate::AppState;
use crate::service_error::ServiceError;
use crate::wire::TokenResponse;

const GRANT_TYPE: &str = "client_credentials";

/// `POST /token`
pub(crate) async fn issue(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TokenResponse>, ServiceError> {
    let map = read_object(&headers, body).await?;
    let required = |key: &str| {
        string_field(&map, key)?
            .ok_or_else(|| ServiceError::invalid_parameter(format!("{key} must be provided")))
    };
    let grant_type = required("grant_type")?;
    if grant_type != GRANT_TYPE {
        return Err(ServiceError::invalid_parameter(format!(
            "grant_type '{grant_type}' is not supported: use {GRANT_TYPE}"
        )));
    }
    let client_id = required("client_id")?;
    let client_secret = required("client_secret")?;
    let ttl = u64_field(&map, "ttl")?;
    let (access_token, expires_in) = state.issue_token(&client_id, &client_secret, ttl)?;
    Ok(Json(TokenResponse {
        access_token,
        expires_in,
        application: APPLICATION_ID.to_owned(),
    }))
}
