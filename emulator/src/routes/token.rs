//! `POST /{org}/{app}/token`: Easemob-style client credentials.
//!
//! Body `{"grant_type": "client_credentials", "client_id": .., "client_secret":
//! .., "ttl": ..}`; answer `{"access_token": .., "expires_in": .., "application":
//! ..}` (no envelope). `ttl` is in seconds: absent means
//! [`DEFAULT_TOKEN_TTL_SECS`](crate::DEFAULT_TOKEN_TTL_SECS), 0 means the token
//! never expires (as on Easemob).

use axum::Json;
use axum::extract::{Request, State};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::server::{self, APPLICATION_ID};
use crate::service_error::ServiceError;
use crate::wire::TokenResponse;

const GRANT_TYPE: &str = "client_credentials";

/// The request body; `null` counts as absent, so a `null` required field is refused.
// Serialize is only there for `server::json_body`, which can refuse unknown fields.
#[derive(Deserialize, Serialize)]
struct TokenRequest {
    grant_type: String,
    client_id: String,
    client_secret: String,
    ttl: Option<u64>,
}

/// `POST /token`
pub(crate) async fn issue(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<TokenResponse>, ServiceError> {
    let (parts, body) = request.into_parts();
    let req: TokenRequest = server::json_body(&parts, body, false, false).await?;
    if req.grant_type != GRANT_TYPE {
        return Err(ServiceError::invalid_parameter(format!(
            "grant_type '{}' is not supported: use {GRANT_TYPE}",
            req.grant_type
        )));
    }
    let (access_token, expires_in) =
        state.issue_token(&req.client_id, &req.client_secret, req.ttl)?;
    Ok(Json(TokenResponse {
        access_token,
        expires_in,
        application: APPLICATION_ID.to_owned(),
    }))
}
