//! What the runtime knows about an error code of the service. The generator emits the spec's
//! error table as [`ERROR_CODES`](crate::types::ERROR_CODES) and accessors on
//! [`ErrorCode`](crate::types::ErrorCode); nothing hand-written names a code's status,
//! exception class or retry class.

/// What an error code means for retrying a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// The service throttled the request and did not process it: back off and retry.
    Throttled,
    /// A failure that may pass: retry when the operation is retry safe.
    Transient,
    /// A retry cannot fix it.
    Final,
    /// The token expired: rebuild it once and retry.
    TokenExpired,
    /// The token is corrupt or not for this app: a configuration error, never retried.
    TokenInvalid,
}

/// One error code of the spec's error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ErrorCodeInfo {
    /// The code on the wire, e.g. `reach_limit`.
    pub code: &'static str,
    /// The HTTP status the service answers with it; `None` when it varies.
    pub status: Option<u16>,
    /// The service's exception class sent beside it, e.g.
    /// `com.easemob.group.exception.InvalidParameterException`.
    pub exception: Option<&'static str>,
    /// What it means for retrying; `None` when that depends on the status.
    pub retry: Option<RetryClass>,
}
