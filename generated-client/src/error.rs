//! One error type for every way a call can fail, keeping everything the caller may need.

use crate::auth::AuthError;
use crate::operation::OperationMeta;
use crate::retry::StopReason;
pub use crate::transport::Redirect;
use crate::types::{ErrorBody, ErrorCode, ResponseMeta};
use crate::validate::{Rule, ValidationError, Violation};
use crate::{HttpError, JsonError};
use std::fmt;
use std::time::Duration;

/// Why a call failed. [`Display`](std::fmt::Display) gives one sentence per error and
/// [`source`](std::error::Error::source) the cause, so a report prints each cause once.
/// The methods answer what callers usually decide on: [`status`](Self::status),
/// [`code`](Self::code), [`delivery`](Self::delivery), [`is_already_done`](Self::is_already_done);
/// see [the crate docs](crate#errors) for matching on it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a rule of the spec; nothing was sent.
    #[error("{operation}: invalid request")]
    Validation {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// Every rule the request breaks.
        #[source]
        source: ValidationError,
    },
    /// The service answered with a non-2xx status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request could not be sent or its response could not be read.
    #[error("{operation}: transport error")]
    Transport {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// The HTTP client's error (connect, TLS, reset, reading the body).
        #[source]
        source: HttpError,
    },
    /// No response in time.
    #[error("{operation}: timed out")]
    Timeout {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// The HTTP client's timeout error.
        #[source]
        source: HttpError,
    },
    /// A 2xx response whose body is not the documented JSON.
    #[error("{operation}: cannot decode the HTTP {status} response; body: {body}")]
    Decode {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// The response's HTTP status.
        status: u16,
        /// Why the body is not the documented JSON.
        #[source]
        source: JsonError,
        /// The start of the body, for diagnosis.
        body: RawBody,
    },
    /// A response body larger than the client accepts.
    #[error("{operation}: the HTTP {status} response is larger than {limit} bytes")]
    ResponseTooLarge {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// The response's HTTP status.
        status: u16,
        /// The largest body the client reads, in bytes.
        limit: usize,
    },
    /// The request body could not be serialized.
    #[error("{operation}: cannot encode the request body")]
    Encode {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// Why serialization failed.
        #[source]
        source: JsonError,
    },
    /// The service answered 200 but reported these request fields as not applied.
    #[error("{operation}: the service did not apply {fields:?}")]
    NotApplied {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// The request fields the service reported as not applied (spec names).
        fields: Vec<&'static str>,
        /// The 200 response's metadata (request id, timestamp, ...).
        meta: Box<ResponseMeta>,
    },
    /// Retries did not help: the last attempt's error, how many attempts were made and why
    /// retrying stopped.
    #[error("{operation}: {reason} after {attempts} attempt(s)")]
    RetriesExhausted {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// How many attempts were made, the first included.
        attempts: u32,
        /// Why the client stopped retrying.
        reason: StopReason,
        /// Whether any attempt may have been processed by the service.
        delivery: Delivery,
        /// The last attempt's error (also the [`source`](std::error::Error::source)).
        #[source]
        last: Box<Error>,
    },
    /// The call's deadline passed before the request could be sent (e.g. waiting for a
    /// rate-limit slot); nothing was sent.
    #[error("{operation}: the deadline passed before the request could be sent")]
    DeadlineExceeded {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
    },
    /// A paginated listing that would not end.
    #[error("{operation}: {problem}")]
    Pagination {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// How the listing misbehaved.
        problem: PaginationError,
    },
    /// The answer was a redirect, which is never followed (the service does not redirect;
    /// following could carry the body or credentials to another origin). Only the target's
    /// origin is kept, never its path or query.
    #[error("{operation}: refused {redirect}")]
    Redirect {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// The redirect's status and target origin.
        redirect: Redirect,
    },
    /// A retried write found its own effect: an earlier attempt may have been processed
    /// (its answer was lost, timed out or was a server error), and the retry got the answer
    /// the spec names for "already done" (e.g. 404 `service_resource_not_found` for a
    /// delete). The target is gone, possibly by this call's earlier attempt, possibly by
    /// someone else; a call that found nothing on its first attempt gets a plain
    /// [`Error::Api`] instead. `last` is the retry's answer; see [`Error::is_already_done`].
    #[error("{operation}: already done (an earlier attempt may have been processed)")]
    AlreadyDone {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// How many attempts were made, the first included.
        attempts: u32,
        /// The retry's answer (also the [`source`](std::error::Error::source)).
        #[source]
        last: Box<Error>,
    },
    /// No token could be had for the call.
    #[error("{operation}: no app token")]
    Auth {
        /// The operation's id (e.g. `"create_chatroom"`), as in [`Error::operation`].
        operation: &'static str,
        /// Why no token could be had.
        #[source]
        source: AuthError,
    },
}

impl Error {
    pub(crate) fn validation(op: &OperationMeta, source: ValidationError) -> Self {
        Error::Validation {
            operation: op.id,
            source,
        }
    }

    /// A request that breaks one rule, found while building it (not by the checker).
    pub(crate) fn violation(op: &OperationMeta, field: &str, rule: Rule) -> Self {
        let violations = vec![Violation {
            field: field.to_owned(),
            rule,
        }];
        Error::validation(op, ValidationError { violations })
    }

    /// The operation that failed.
    pub fn operation(&self) -> &'static str {
        match self {
            Error::Api(api) => api.operation,
            Error::Validation { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Decode { operation, .. }
            | Error::ResponseTooLarge { operation, .. }
            | Error::Encode { operation, .. }
            | Error::NotApplied { operation, .. }
            | Error::RetriesExhausted { operation, .. }
            | Error::Pagination { operation, .. }
            | Error::Redirect { operation, .. }
            | Error::AlreadyDone { operation, .. }
            | Error::DeadlineExceeded { operation }
            | Error::Auth { operation, .. } => operation,
        }
    }

    /// The service's error, when it answered with one (after retries: the last answer).
    pub fn api(&self) -> Option<&ApiError> {
        match self.last() {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The error of the last attempt: `self`, unless the call was retried.
    pub fn last(&self) -> &Error {
        match self {
            Error::RetriesExhausted { last, .. } | Error::AlreadyDone { last, .. } => last.last(),
            other => other,
        }
    }

    /// How many attempts were made (1 unless the call was retried).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::RetriesExhausted { attempts, .. } | Error::AlreadyDone { attempts, .. } => {
                *attempts
            }
            _ => 1,
        }
    }

    /// Whether the call's effect is in place although the call failed: a retried write
    /// whose retry found it done, possibly by an earlier attempt of this call
    /// ([`Error::AlreadyDone`]). Bulk helpers count such an item as done.
    pub fn is_already_done(&self) -> bool {
        matches!(self, Error::AlreadyDone { .. })
    }

    /// Whether the request may have reached the service. A create whose error is not
    /// [`Delivery::NotSent`] may have created the chatroom.
    pub fn delivery(&self) -> Delivery {
        match self {
            Error::Validation { .. }
            | Error::Encode { .. }
            | Error::Auth { .. }
            | Error::DeadlineExceeded { .. } => Delivery::NotSent,
            Error::Transport { source, .. } | Error::Timeout { source, .. }
                if source.is_connect() || source.is_builder() =>
            {
                Delivery::NotSent
            }
            Error::Transport { .. } | Error::Timeout { .. } => Delivery::Unknown,
            Error::RetriesExhausted { delivery, .. } => *delivery,
            Error::Api(_)
            | Error::Decode { .. }
            | Error::ResponseTooLarge { .. }
            | Error::NotApplied { .. }
            | Error::Redirect { .. }
            | Error::AlreadyDone { .. }
            | Error::Pagination { .. } => Delivery::Answered,
        }
    }

    /// The HTTP status, when a response arrived (after retries: the last one).
    pub fn status(&self) -> Option<u16> {
        match self.last() {
            Error::Api(api) => Some(api.status),
            Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::Redirect { redirect, .. } => redirect.status,
            _ => None,
        }
    }

    /// The service's `error` code, when it sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.api().and_then(ApiError::code)
    }
}

/// Why a stream stopped with an error of its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// The service answered a cursor it had answered before (the string): following it
    /// would loop forever.
    #[error("the service repeated the cursor {0:?}: the listing would loop")]
    RepeatedCursor(String),
    /// The listing went on past the stream's page cap (the number), which no real listing
    /// reaches.
    #[error("more than {0} pages: the listing does not end")]
    TooManyPages(u32),
    /// Page-number paging answered the same full page for the next page number.
    #[error("page {0} repeats the page before it: the listing does not advance")]
    RepeatedPage(u32),
}

/// Whether a failed request reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Delivery {
    /// Provably not sent (invalid, no token, no connection): nothing happened on the service.
    #[default]
    NotSent,
    /// Sent, but no answer arrived (timeout, reset): it may or may not have been processed.
    Unknown,
    /// The service answered (its answer says what happened).
    Answered,
}

/// A non-2xx answer, with every field of the service's error body kept.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation's id (e.g. `"delete_chatroom"`).
    pub operation: &'static str,
    /// The HTTP status (4xx or 5xx).
    pub status: u16,
    /// The decoded error body; all fields `None` when the body was not that JSON.
    pub body: ErrorBody,
    /// The raw body (bounded), kept when it was not the service's JSON error body.
    pub raw_body: Option<RawBody>,
    /// The `Retry-After` header, when the service sent one.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An API error as the client would report it, for testing code that handles errors.
    ///
    /// ```
    /// use agora_chat::{ApiError, Error, types::{ErrorBody, ErrorCode}};
    ///
    /// let body = ErrorBody::default()
    ///     .error(ErrorCode::ServiceResourceNotFound)
    ///     .error_description("Service resource not found");
    /// let err = Error::from(ApiError::new("delete_chatroom", 404, body));
    /// assert_eq!(err.status(), Some(404));
    /// assert_eq!(err.code(), Some(&ErrorCode::ServiceResourceNotFound));
    /// ```
    pub fn new(operation: &'static str, status: u16, body: ErrorBody) -> Self {
        Self {
            operation,
            status,
            body,
            raw_body: None,
            retry_after: None,
        }
    }

    /// With the `Retry-After` the service sent.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// With a raw body that was not the service's JSON error body.
    pub fn with_raw_body(mut self, body: &[u8]) -> Self {
        self.raw_body = Some(RawBody::new(body));
        self
    }

    /// The service's `error` code, when it sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.body.error.as_ref()
    }

    /// The service's `error_description`, a human-readable sentence, when it sent one.
    pub fn description(&self) -> Option<&str> {
        self.body.error_description.as_deref()
    }

    /// The service's `exception` (the Java class name of its internal error), when it
    /// sent one; useful in support requests.
    pub fn exception(&self) -> Option<&str> {
        self.body.exception.as_deref()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.operation, self.status)?;
        if let Some(code) = self.code() {
            write!(f, " {code}")?;
        }
        if let Some(description) = self.description() {
            write!(f, ": {description}")?;
        }
        if let Some(raw) = &self.raw_body {
            write!(f, "; body: {raw}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for Error {
    fn from(api: ApiError) -> Self {
        Error::Api(Box::new(api))
    }
}

/// The start of a body that was not the expected JSON, kept for diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawBody {
    /// At most [`RawBody::LIMIT`] bytes, as lossy UTF-8.
    pub text: String,
    /// The body's full length in bytes.
    pub len: usize,
}

impl RawBody {
    /// How many bytes of a body are kept.
    pub const LIMIT: usize = 4096;

    /// Keeps the first [`RawBody::LIMIT`] bytes of `body` (cut at a character boundary,
    /// invalid UTF-8 replaced) and its full length.
    pub fn new(body: &[u8]) -> Self {
        Self {
            text: String::from_utf8_lossy(&body[..char_boundary(body, Self::LIMIT)]).into_owned(),
            len: body.len(),
        }
    }

    /// Whether the body was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.len > Self::LIMIT
    }
}

/// The largest cut at or below `limit` that does not split a UTF-8 character.
fn char_boundary(body: &[u8], limit: usize) -> usize {
    let mut end = body.len().min(limit);
    // A continuation byte (10xxxxxx) right after the cut means a character straddles it;
    // UTF-8 characters are at most four bytes, so step back at most three.
    let floor = end.saturating_sub(3);
    while end > floor && body.get(end).is_some_and(|b| b & 0xC0 == 0x80) {
        end -= 1;
    }
    end
}

impl fmt::Display for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == 0 {
            return f.write_str("(empty)");
        }
        write!(f, "{:?}", self.text)?;
        if self.is_truncated() {
            write!(f, " (first {} of {} bytes)", Self::LIMIT, self.len)?;
        }
        Ok(())
    }
}
