//! The service's flat error bodies, with the status, `error` code and Java
//! exception name the real service uses for each case.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::wire::{ErrorBody, ErrorCode};

const INVALID_PARAMETER: &str = "com.easemob.group.exception.InvalidParameterException";
const JSON_PARSE: &str = "org.codehaus.jackson.JsonParseException";
const SECURITY: &str = "org.apache.usergrid.rest.exceptions.SecurityException";
const EASEMOB_SECURITY: &str = "com.easemob.im.exceptions.EasemobSecurityException";
const EXCEED_LIMIT: &str = "com.easemob.group.exception.ExceedLimitException";
const SERVICE_NOT_FOUND: &str =
    "org.apache.usergrid.services.exceptions.ServiceResourceNotFoundException";
const RESOURCE_NOT_FOUND: &str = "com.easemob.group.exception.ResourceNotFoundException";
const ORG_APP_NOT_FOUND: &str =
    "org.apache.usergrid.rest.exceptions.OrganizationApplicationNotFoundException";
const WEB_APPLICATION: &str = "javax.ws.rs.WebApplicationException";
// The service's exception names for these are not documented.
const REACH_LIMIT: &str = "com.easemob.common.exception.ReachLimitException";
const RESOURCE_LIMITED: &str = "com.easemob.common.exception.ResourceLimitedException";
const FORBIDDEN_OP: &str = "com.easemob.group.exception.ForbiddenOpException";

/// One failed request, rendered as the service's flat JSON error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub status: StatusCode,
    pub error: &'static str,
    pub exception: &'static str,
    pub description: String,
}

impl ServiceError {
    fn new(status: StatusCode, error: &'static str, exception: &'static str, d: String) -> Self {
        Self {
            status,
            error,
            exception,
            description: d,
        }
    }

    /// 400: a value is malformed, out of range, of the wrong type, missing, or unknown.
    pub fn invalid_parameter(description: impl Into<String>) -> Self {
        let d = description.into();
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            INVALID_PARAMETER,
            d,
        )
    }

    /// 400: the body is not JSON at all.
    pub fn json_parse(description: impl Into<String>) -> Self {
        let d = description.into();
        Self::new(StatusCode::BAD_REQUEST, "json_parse", JSON_PARSE, d)
    }

    /// 401: no bearer token was sent.
    pub fn unauthorized() -> Self {
        let d = "Unable to authenticate due to missing access token".to_owned();
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", SECURITY, d)
    }

    /// 401: a valid token whose time is up.
    pub fn expired_access_token() -> Self {
        let d = "Unable to authenticate due to expired access token".to_owned();
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", SECURITY, d)
    }

    /// 401: a bearer token was sent but is not valid for this app.
    pub fn bad_access_token() -> Self {
        let d = "Unable to authenticate due to corrupt access token".to_owned();
        let s = StatusCode::UNAUTHORIZED;
        Self::new(s, "auth_bad_access_token", EASEMOB_SECURITY, d)
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
        let s = StatusCode::UNAUTHORIZED;
        Self::new(s, "auth_bad_access_token", EASEMOB_SECURITY, d)
    }

    /// 403: a documented limit would be exceeded.
    pub fn exceed_limit(description: impl Into<String>) -> Self {
        let d = description.into();
        Self::new(StatusCode::FORBIDDEN, "exceed_limit", EXCEED_LIMIT, d)
    }

    /// 403: the operation is not allowed.
    pub fn forbidden_op(description: impl Into<String>) -> Self {
        let d = description.into();
        Self::new(StatusCode::FORBIDDEN, "forbidden_op", FORBIDDEN_OP, d)
    }

    /// 429: the operation's per-second quota is used up; a later retry works.
    pub fn reach_limit() -> Self {
        let d = "This request has reached api limit".to_owned();
        let s = StatusCode::TOO_MANY_REQUESTS;
        Self::new(s, "reach_limit", REACH_LIMIT, d)
    }

    /// 429: the plan's quota is exhausted; retrying does not help.
    pub fn resource_limited() -> Self {
        let d = "The resource of this app has been limited".to_owned();
        let s = StatusCode::TOO_MANY_REQUESTS;
        Self::new(s, "resource_limited", RESOURCE_LIMITED, d)
    }

    /// 500: the service failed.
    pub fn internal() -> Self {
        Self::web_application(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A typical error of the service for `status`: 400 `invalid_parameter`,
    /// 401 `unauthorized`, 403 `forbidden_op`, 404
    /// `service_resource_not_found`, 429 `reach_limit`, any other status
    /// `web_application`.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::invalid_parameter("invalid parameter"),
            401 => Self::unauthorized(),
            403 => Self::forbidden_op("forbidden operation"),
            404 => Self::service_resource_not_found(),
            429 => Self::reach_limit(),
            _ => Self::web_application(status),
        }
    }

    /// 404: no chatroom (or no route) matches.
    pub fn service_resource_not_found() -> Self {
        let d = "Service resource not found".to_owned();
        let code = "service_resource_not_found";
        Self::new(StatusCode::NOT_FOUND, code, SERVICE_NOT_FOUND, d)
    }

    /// 404: a user does not exist (strict mode).
    pub fn user_not_found(username: &str) -> Self {
        let d = format!("username {username} doesn't exist!");
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            RESOURCE_NOT_FOUND,
            d,
        )
    }

    /// 404: the path does not start with this emulator's `/{org}/{app}`.
    pub fn org_app_not_found(org: &str, app: &str, path: &str) -> Self {
        let uri = path.trim_start_matches('/');
        let d = format!("Could not find application for {org}/{app} from URI: {uri}");
        let code = "organization_application_not_found";
        Self::new(StatusCode::NOT_FOUND, code, ORG_APP_NOT_FOUND, d)
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

    // The service's JAX-RS layer reports HTTP-level failures this way.
    fn web_application(status: StatusCode) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error");
        let d = format!("HTTP {} {reason}", status.as_u16());
        Self::new(status, "web_application", WEB_APPLICATION, d)
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
