//! The service's flat error bodies. The status and the Java exception class of
//! each `error` code come from the spec's error table (the client's generated
//! `ErrorCode` accessors); only `web_application`, whose status varies, is
//! given its status here.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::wire::{ErrorBody, ErrorCode};
use agora_chat::types::ERROR_CODES;

/// One failed request, rendered as the service's flat JSON error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `error` code, e.g. `invalid_parameter`.
    pub error: &'static str,
    /// The `exception` class name the service sends with that code.
    pub exception: &'static str,
    /// The `error_description` sentence.
    pub description: String,
}

impl ServiceError {
    /// An error of `code`, with its status and exception class from the spec's error table.
    fn of(code: ErrorCode, description: impl Into<String>) -> Self {
        let status = code.status().and_then(|s| StatusCode::from_u16(s).ok());
        // Every code the emulator answers with has a status in the table but web_application.
        let status = status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::with_status(code, status, description)
    }

    fn with_status(code: ErrorCode, status: StatusCode, description: impl Into<String>) -> Self {
        let info = code.info();
        Self {
            status,
            error: info.map_or("unknown", |info| info.code),
            exception: info.and_then(|info| info.exception).unwrap_or_default(),
            description: description.into(),
        }
    }

    /// 400: a value is malformed, out of range, of the wrong type, missing, or unknown.
    pub fn invalid_parameter(description: impl Into<String>) -> Self {
        Self::of(ErrorCode::InvalidParameter, description)
    }

    /// 400: the body is not JSON at all.
    pub fn json_parse(description: impl Into<String>) -> Self {
        Self::of(ErrorCode::JsonParse, description)
    }

    /// 401: no bearer token was sent.
    pub fn unauthorized() -> Self {
        let d = "Unable to authenticate due to missing access token";
        Self::of(ErrorCode::Unauthorized, d)
    }

    /// 401: a valid token whose time is up.
    pub fn expired_access_token() -> Self {
        let d = "Unable to authenticate due to expired access token";
        Self::of(ErrorCode::Unauthorized, d)
    }

    /// 401: a bearer token was sent but is not valid for this app.
    pub fn bad_access_token() -> Self {
        let d = "Unable to authenticate due to corrupt access token";
        Self::of(ErrorCode::AuthBadAccessToken, d)
    }

    /// 401 `auth_bad_access_token`, saying why (never with the token itself).
    pub fn bad_access_token_because(reason: impl std::fmt::Display) -> Self {
        let mut e = Self::bad_access_token();
        e.description = format!("{}: {reason}", e.description);
        e
    }

    /// 401 `auth_bad_access_token` from the token endpoint: the client
    /// credentials are wrong (or none are configured).
    pub fn bad_credentials(reason: impl Into<String>) -> Self {
        let d = format!("Unable to authenticate: {}", reason.into());
        Self::of(ErrorCode::AuthBadAccessToken, d)
    }

    /// 403: a documented limit would be exceeded.
    pub fn exceed_limit(description: impl Into<String>) -> Self {
        Self::of(ErrorCode::ExceedLimit, description)
    }

    /// 404 `resource_not_found`: a user (or another resource) does not exist, saying which.
    pub fn resource_not_found(description: impl Into<String>) -> Self {
        Self::of(ErrorCode::ResourceNotFound, description)
    }

    /// 403: the operation is not allowed.
    pub fn forbidden_op(description: impl Into<String>) -> Self {
        Self::of(ErrorCode::ForbiddenOp, description)
    }

    /// 401 `MetadataException`: a custom-attribute call by a user who is not a member.
    /// Not a token problem: the client does not refresh its token for it.
    pub fn metadata(description: impl Into<String>) -> Self {
        Self::of(ErrorCode::MetadataException, description)
    }

    /// 429: the operation's per-second quota is used up; a later retry works.
    pub fn reach_limit() -> Self {
        Self::of(ErrorCode::ReachLimit, "This request has reached api limit")
    }

    /// 429: the plan's quota is exhausted; retrying does not help.
    pub fn resource_limited() -> Self {
        let d = "The resource of this app has been limited";
        Self::of(ErrorCode::ResourceLimited, d)
    }

    /// 500: the service failed.
    pub fn internal() -> Self {
        Self::web_application(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A typical error of the service for `status`: the first code of the
    /// spec's error table with that status (400 `invalid_parameter`, 401
    /// `unauthorized`, 403 `forbidden_op`, 404 `service_resource_not_found`,
    /// 429 `reach_limit`, ...), with the emulator's usual description of it;
    /// `web_application` for a status no code has.
    pub fn for_status(status: StatusCode) -> Self {
        let code = ERROR_CODES
            .iter()
            .find(|info| info.status == Some(status.as_u16()))
            .map(|info| ErrorCode::from_wire(info.code));
        match code {
            Some(code) => Self::typical(code, status),
            None => Self::web_application(status),
        }
    }

    // The emulator's usual answer for `code`; a reason phrase where it has none.
    fn typical(code: ErrorCode, status: StatusCode) -> Self {
        match code {
            ErrorCode::Unauthorized => Self::unauthorized(),
            ErrorCode::ServiceResourceNotFound => Self::service_resource_not_found(),
            ErrorCode::ReachLimit => Self::reach_limit(),
            ErrorCode::ResourceLimited => Self::resource_limited(),
            other => Self::of(other, status.canonical_reason().unwrap_or("error")),
        }
    }

    /// 404: no chatroom (or no route) matches.
    pub fn service_resource_not_found() -> Self {
        Self::of(
            ErrorCode::ServiceResourceNotFound,
            "Service resource not found",
        )
    }

    /// 400: registering a username that exists.
    pub fn user_exists(username: &str) -> Self {
        let d = format!(
            "Application null Entity user requires that property named username be unique, value of {username} exists"
        );
        Self::of(ErrorCode::DuplicateUniquePropertyExists, d)
    }

    /// 400: the same username twice in one batch registration.
    pub fn same_user_twice(username: &str) -> Self {
        let d = format!("the same user {username} has a different password");
        Self::of(ErrorCode::DuplicateUniquePropertyExists, d)
    }

    /// 404: a user does not exist (strict mode).
    pub fn user_not_found(username: &str) -> Self {
        let d = format!("username {username} doesn't exist!");
        Self::of(ErrorCode::ResourceNotFound, d)
    }

    /// 404: the path does not start with this emulator's `/{org}/{app}`. The answer names
    /// the org/app the request asked for (its first two segments), not the emulator's own,
    /// so a user sees what is wrong with their request.
    pub fn org_app_not_found(path: &str) -> Self {
        let uri = path.trim_start_matches('/');
        let mut segments = uri.split('/');
        let org = segments.next().unwrap_or_default();
        let app = segments.next().unwrap_or_default();
        let d = format!("Could not find application for {org}/{app} from URI: {uri}");
        Self::of(ErrorCode::OrganizationApplicationNotFound, d)
    }

    /// 405: the path exists but not for this method.
    pub fn method_not_allowed() -> Self {
        Self::web_application(StatusCode::METHOD_NOT_ALLOWED)
    }

    /// 413: the body is larger than the service accepts.
    pub fn payload_too_large() -> Self {
        Self::web_application(StatusCode::PAYLOAD_TOO_LARGE)
    }

    /// 415: POST or PUT without `Content-Type: application/json`.
    pub fn unsupported_media_type() -> Self {
        Self::web_application(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    }

    // The service's JAX-RS layer reports HTTP-level failures this way; the
    // status varies, so the table has none for this code.
    fn web_application(status: StatusCode) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error");
        let d = format!("HTTP {} {reason}", status.as_u16());
        Self::with_status(ErrorCode::WebApplication, status, d)
    }

    /// The flat body this error renders as.
    pub fn body(&self) -> ErrorBody {
        ErrorBody::default()
            .error(ErrorCode::from_wire(self.error))
            .exception(self.exception)
            .timestamp(crate::now_ms())
            .duration(0)
            .error_description(self.description.clone())
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.error,
            self.description
        )
    }
}

impl std::error::Error for ServiceError {}
