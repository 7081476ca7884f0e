//! Deterministic fault injection: the next calls of an operation get a chosen
//! failure instead of (or after) their normal processing.
//!
//! Faults wait in one queue per operation and are used up in order, one call
//! at a time, in the order the calls arrive. A fault applies either
//! [before processing](Fault::before_processing) (the default: the request
//! has no effect) or [after it](Fault::after_processing) (the request takes
//! effect, then its answer is replaced, delayed, cut or lost).
//!
//! ```
//! use std::time::Duration;
//! use agora_chat_emulator::{Fault, Faults};
//! let faults = Faults::default();
//! // The next three creates answer 503 (with the gateway's HTML page).
//! faults.push("create_chatroom", Fault::status(503).times(3))?;
//! // Then one create is processed, but its connection closes unanswered.
//! faults.push("create_chatroom", Fault::drop_connection().after_processing())?;
//! // The next details call answers 429 reach_limit with `Retry-After: 1`.
//! faults.push("get_chatrooms", Fault::reach_limit().header("Retry-After", "1"))?;
//! // The next list call is answered normally, 2 s late.
//! faults.push("list_chatrooms", Fault::delay(Duration::from_secs(2)))?;
//! assert_eq!(faults.remaining("create_chatroom"), 4);
//! # Ok::<(), agora_chat_emulator::FaultError>(())
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::controls;
use crate::link::Link;
use crate::service_error::ServiceError;

const JSON: &str = "application/json";
const HTML: &str = "text/html";
/// The body of [`Fault::malformed`]: JSON cut off in the middle.
pub const MALFORMED_BODY: &str = r#"{"action":"post","data":{"id":"66213"#;

/// When a fault applies, relative to the request's normal processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Instead of processing: the request has no effect (a delay only
    /// postpones the processing).
    #[default]
    Before,
    /// After processing: the request takes effect, then its answer is
    /// replaced, delayed, cut short or lost.
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// The normal answer, after the fault's delay.
    Delay,
    /// This status with the fault's body.
    Status,
    /// The connection closes without an answer.
    Drop,
    /// Status 200 with a body that is not the documented JSON.
    Malformed,
    /// The answer's head and half its body, then the connection closes.
    Truncated,
}

/// One injected failure; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    kind: Kind,
    status: u16,
    body: Option<Vec<u8>>,
    headers: Vec<(String, String)>,
    delay: Duration,
    stage: Stage,
    times: u32,
}

impl Fault {
    fn new(kind: Kind, status: u16) -> Self {
        Self {
            kind,
            status,
            body: None,
            headers: Vec::new(),
            delay: Duration::ZERO,
            stage: Stage::Before,
            times: 1,
        }
    }

    /// Answers `status`. Unless [`body`](Self::body) sets one, the body is
    /// what the service typically sends: for 502, 503 and 504 a gateway's
    /// HTML page, otherwise its flat JSON error body (400
    /// `invalid_parameter`, 401 `unauthorized`, 403 `forbidden_op`, 404
    /// `service_resource_not_found`, 429 `reach_limit`, other statuses
    /// `web_application`).
    pub fn status(status: u16) -> Self {
        Self::new(Kind::Status, status)
    }

    /// 429 `reach_limit`: the per-second quota is used up (retrying helps).
    pub fn reach_limit() -> Self {
        Self::status(429)
    }

    /// 429 `resource_limited`: the plan's quota is used up (retrying does not help).
    pub fn resource_limited() -> Self {
        let body = ServiceError::resource_limited().body();
        Self::status(429).body(serde_json::to_vec(&body).unwrap_or_default())
    }

    /// The normal answer, `delay` late (before processing: the request is
    /// processed after the wait; after processing: it is answered after it).
    pub fn delay(delay: Duration) -> Self {
        Self::new(Kind::Delay, 200).delayed(delay)
    }

    /// Closes the connection without answering: the client sees the
    /// connection end before any response, not an HTTP status (reqwest:
    /// "error sending request", from hyper's `IncompleteMessage`). On an
    /// HTTP/2 connection, every request in flight on it is lost too.
    ///
    /// Needs the emulator's own listener ([`EmulatorBuilder::start`](crate::EmulatorBuilder::start));
    /// in a [`router`](crate::router) served elsewhere the request is
    /// answered 500 `web_application` instead.
    pub fn drop_connection() -> Self {
        Self::new(Kind::Drop, 200)
    }

    /// Status 200 with a body that is not valid JSON ([`MALFORMED_BODY`],
    /// or the one [`body`](Self::body) sets).
    pub fn malformed() -> Self {
        Self::new(Kind::Malformed, 200)
    }

    /// Sends the answer's status, headers (with its full `Content-Length`)
    /// and the first half of its body, then closes the connection. Before
    /// processing the answer is status 200 with [`MALFORMED_BODY`] or the
    /// [`body`](Self::body) set; after processing it is the real answer.
    ///
    /// Needs the emulator's own listener, like [`drop_connection`](Self::drop_connection).
    pub fn truncated() -> Self {
        Self::new(Kind::Truncated, 200)
    }

    /// Applies to the next `times` calls (default 1; must be at least 1).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Applies after the request took effect.
    pub fn after_processing(mut self) -> Self {
        self.stage = Stage::After;
        self
    }

    /// Applies instead of processing (the default).
    pub fn before_processing(mut self) -> Self {
        self.stage = Stage::Before;
        self
    }

    /// When the fault applies.
    pub fn stage(mut self, stage: Stage) -> Self {
        self.stage = stage;
        self
    }

    /// Waits this long before answering (any kind of fault).
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The body to send (statuses, malformed and truncated answers). Its
    /// content type is JSON when it parses as JSON, HTML otherwise, unless a
    /// `Content-Type` [`header`](Self::header) is set.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Adds a response header, e.g. `Retry-After`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// How many more calls this fault applies to.
    pub fn remaining(&self) -> u32 {
        self.times
    }

    /// When the fault applies.
    pub fn when(&self) -> Stage {
        self.stage
    }

    fn check(&self) -> Result<(), FaultError> {
        if self.times == 0 {
            return Err(FaultError::ZeroTimes);
        }
        if self.kind == Kind::Status && StatusCode::from_u16(self.status).is_err() {
            return Err(FaultError::InvalidStatus(self.status));
        }
        for (name, value) in &self.headers {
            let valid = HeaderName::from_bytes(name.as_bytes()).is_ok()
                && HeaderValue::from_str(value).is_ok();
            if !valid {
                return Err(FaultError::InvalidHeader(name.clone()));
            }
        }
        Ok(())
    }

    /// The fault as the admin endpoint shows it.
    fn spec(&self, operation: &str) -> FaultSpec {
        let body = self.body.as_deref().map(|b| {
            serde_json::from_slice(b)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
        });
        FaultSpec {
            operation: operation.to_owned(),
            fault: self.kind,
            status: (self.kind == Kind::Status).then_some(self.status),
            body,
            headers: self.headers.iter().cloned().collect(),
            delay_ms: u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
            when: self.stage,
            times: self.times,
        }
    }
}

/// Why a fault was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultError {
    /// Not an operation id of the client (`agora_chat::operations::OPERATIONS`).
    UnknownOperation(String),
    /// Not an HTTP status code.
    InvalidStatus(u16),
    /// A header name or value that cannot be sent.
    InvalidHeader(String),
    /// `times(0)` would never apply.
    ZeroTimes,
    /// A `status` fault without a status, or a status on another kind.
    Status(&'static str),
}

impl fmt::Display for FaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultError::UnknownOperation(op) => write!(
                f,
                "unknown operation '{op}'; known: {}",
                controls::operation_ids().join(", ")
            ),
            FaultError::InvalidStatus(s) => write!(f, "{s} is not an HTTP status code"),
            FaultError::InvalidHeader(name) => write!(f, "invalid header '{name}' or its value"),
            FaultError::ZeroTimes => f.write_str("times must be at least 1"),
            FaultError::Status(problem) => f.write_str(problem),
        }
    }
}

impl std::error::Error for FaultError {}

/// The faults waiting for each operation. Clones share one set of queues.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<HashMap<&'static str, VecDeque<Fault>>>>);

impl Faults {
    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, VecDeque<Fault>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `fault` for the next calls of `operation` (a client operation
    /// id such as `create_chatroom`), after the faults already queued for it.
    pub fn push(&self, operation: &str, fault: Fault) -> Result<(), FaultError> {
        let op = controls::operation(operation)
            .ok_or_else(|| FaultError::UnknownOperation(operation.to_owned()))?;
        fault.check()?;
        self.lock().entry(op.id).or_default().push_back(fault);
        Ok(())
    }

    /// Removes every queued fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Removes the faults queued for `operation`.
    pub fn clear_operation(&self, operation: &str) {
        self.lock().retain(|op, _| *op != operation);
    }

    /// The faults queued for `operation`, next first.
    pub fn pending(&self, operation: &str) -> Vec<Fault> {
        let queues = self.lock();
        let queue = queues.get(operation);
        queue
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many more calls of `operation` will meet a fault.
    pub fn remaining(&self, operation: &str) -> u32 {
        let queues = self.lock();
        let queue = queues.get(operation).into_iter().flatten();
        queue.map(|f| f.times).fold(0, u32::saturating_add)
    }

    /// Takes one use of the next fault of `operation`.
    pub(crate) fn next(&self, operation: &str) -> Option<Fault> {
        let mut queues = self.lock();
        let queue = queues.get_mut(operation)?;
        let front = queue.front_mut()?;
        let one = Fault {
            times: 1,
            ..front.clone()
        };
        front.times = front.times.saturating_sub(1);
        if front.times == 0 {
            queue.pop_front();
        }
        Some(one)
    }

    /// Every queued fault in the admin endpoint's format, operations in the
    /// spec's order.
    pub(crate) fn specs(&self) -> Vec<FaultSpec> {
        let queues = self.lock();
        let ids = controls::operation_ids().into_iter();
        let queued = ids.filter_map(|id| queues.get(id).map(|q| (id, q)));
        queued
            .flat_map(|(id, q)| q.iter().map(move |f| f.spec(id)))
            .collect()
    }
}

/// A fault as JSON, for `POST /_emulator/faults` and `GET /_emulator/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    operation: String,
    fault: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    /// A string is sent as it is; any other JSON value is sent as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    when: Stage,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

impl FaultSpec {
    /// The operation and the fault it describes.
    pub(crate) fn into_fault(self) -> Result<(String, Fault), FaultError> {
        let status = match (self.fault, self.status) {
            (Kind::Status, Some(status)) => status,
            (Kind::Status, None) => {
                return Err(FaultError::Status("a status fault needs a status"));
            }
            (_, Some(_)) => return Err(FaultError::Status("only a status fault takes a status")),
            (_, None) => 200,
        };
        let mut fault = Fault::new(self.fault, status)
            .delayed(Duration::from_millis(self.delay_ms))
            .stage(self.when)
            .times(self.times);
        fault.body = self.body.map(|body| match body {
            Value::String(text) => text.into_bytes(),
            other => other.to_string().into_bytes(),
        });
        fault.headers = self.headers.into_iter().collect();
        Ok((self.operation, fault))
    }
}

/// Runs one use of `fault` around the rest of the request's handling.
pub(crate) async fn apply(fault: Fault, link: Option<Link>, req: Request, next: Next) -> Response {
    let real = match fault.stage {
        Stage::Before => {
            tokio::time::sleep(fault.delay).await;
            if fault.kind == Kind::Delay {
                return next.run(req).await;
            }
            None
        }
        Stage::After => {
            let res = next.run(req).await;
            tokio::time::sleep(fault.delay).await;
            if fault.kind == Kind::Delay {
                return res;
            }
            Some(res)
        }
    };
    answer(&fault, real, link).await
}

async fn answer(fault: &Fault, real: Option<Response>, link: Option<Link>) -> Response {
    match fault.kind {
        Kind::Delay => real.unwrap_or_else(|| ServiceError::internal().into_response()),
        Kind::Status => {
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = fault.body.clone().unwrap_or_else(|| default_body(status));
            respond(status, &fault.headers, body)
        }
        Kind::Malformed => {
            let body = fault.body.clone().unwrap_or_else(|| MALFORMED_BODY.into());
            respond(StatusCode::OK, &fault.headers, body)
        }
        Kind::Drop => match link {
            Some(link) => {
                link.close();
                // Never sent: the connection closes when the server writes it.
                StatusCode::OK.into_response()
            }
            None => without_link(),
        },
        Kind::Truncated => {
            let Some(link) = link else {
                return without_link();
            };
            let res = match (real, &fault.body) {
                (Some(real), None) => real,
                (_, body) => {
                    let body = body.clone().unwrap_or_else(|| MALFORMED_BODY.into());
                    respond(StatusCode::OK, &[], body)
                }
            };
            let (mut parts, body) = res.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            parts.headers.remove(CONTENT_LENGTH);
            add_headers(&mut parts.headers, &fault.headers);
            link.cut_after(bytes.len() / 2);
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

fn without_link() -> Response {
    let mut e = ServiceError::internal();
    e.description = "this fault closes the connection, which needs the emulator's own \
                     listener (EmulatorBuilder::start)"
        .to_owned();
    e.into_response()
}

/// The body the service typically sends with `status`.
fn default_body(status: StatusCode) -> Vec<u8> {
    match status.as_u16() {
        502..=504 => {
            let reason = status.canonical_reason().unwrap_or("Error");
            let code = status.as_u16();
            format!(
                "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n\
                 <center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
                 </body>\r\n</html>\r\n"
            )
            .into_bytes()
        }
        _ => serde_json::to_vec(&ServiceError::for_status(status).body()).unwrap_or_default(),
    }
}

fn respond(status: StatusCode, headers: &[(String, String)], body: Vec<u8>) -> Response {
    let content_type = if serde_json::from_slice::<Value>(&body).is_ok() {
        JSON
    } else {
        HTML
    };
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    add_headers(res.headers_mut(), headers);
    res
}

// Checked when the fault was queued; anything invalid is skipped.
fn add_headers(map: &mut axum::http::HeaderMap, headers: &[(String, String)]) {
    let mut replaced = Vec::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes());
        let value = HeaderValue::from_str(value);
        if let (Ok(name), Ok(value)) = (name, value) {
            // A fault's header replaces the answer's own, but may repeat.
            if !replaced.contains(&name) {
                map.remove(&name);
                replaced.push(name.clone());
            }
            map.append(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_in_order_and_counted_down() {
        let faults = Faults::default();
        let first = Fault::status(503).times(2);
        assert!(faults.push("create_chatroom", first).is_ok());
        assert!(
            faults
                .push("create_chatroom", Fault::drop_connection())
                .is_ok()
        );
        assert_eq!(faults.remaining("create_chatroom"), 3);
        let kinds: Vec<_> = (0..4)
            .map(|_| faults.next("create_chatroom").map(|f| (f.kind, f.times)))
            .collect();
        let want = [
            Some((Kind::Status, 1)),
            Some((Kind::Status, 1)),
            Some((Kind::Drop, 1)),
            None,
        ];
        assert_eq!(kinds, want);
        assert_eq!(faults.next("list_chatrooms"), None);
    }

    #[test]
    fn bad_faults_are_refused() {
        let faults = Faults::default();
        let push = |op: &str, f: Fault| faults.push(op, f).err();
        assert_eq!(
            push("create", Fault::status(500)),
            Some(FaultError::UnknownOperation("create".into()))
        );
        assert_eq!(
            push("get_chatrooms", Fault::status(42)),
            Some(FaultError::InvalidStatus(42))
        );
        assert_eq!(
            push("get_chatrooms", Fault::status(503).times(0)),
            Some(FaultError::ZeroTimes)
        );
        let bad_header = Fault::status(503).header("Retry After", "1");
        assert!(matches!(
            push("get_chatrooms", bad_header),
            Some(FaultError::InvalidHeader(_))
        ));
        assert_eq!(faults.remaining("get_chatrooms"), 0);
    }

    #[test]
    fn clear_removes_queued_faults() {
        let faults = Faults::default();
        assert!(faults.push("get_chatrooms", Fault::status(500)).is_ok());
        assert!(faults.push("delete_chatroom", Fault::status(500)).is_ok());
        faults.clear_operation("get_chatrooms");
        assert_eq!(faults.remaining("get_chatrooms"), 0);
        assert_eq!(faults.remaining("delete_chatroom"), 1);
        faults.clear();
        assert!(faults.pending("delete_chatroom").is_empty());
    }

    #[test]
    fn specs_round_trip() {
        let fault = Fault::status(503)
            .body("<html>busy</html>")
            .header("Retry-After", "2")
            .delayed(Duration::from_millis(5))
            .after_processing()
            .times(3);
        let spec = fault.spec("update_chatroom");
        let json = serde_json::to_value(&spec).unwrap_or_default();
        assert_eq!(json["fault"], "status");
        assert_eq!(json["when"], "after");
        let back: FaultSpec = serde_json::from_value(json).expect("a spec");
        assert_eq!(back.into_fault(), Ok(("update_chatroom".to_owned(), fault)));
        let json_body = Fault::status(400)
            .body(r#"{"error":"x"}"#)
            .spec("get_chatrooms");
        assert_eq!(json_body.body, Some(serde_json::json!({"error": "x"})));
    }

    #[test]
    fn status_is_only_for_status_faults() {
        let spec = |v: Value| serde_json::from_value::<FaultSpec>(v).map(FaultSpec::into_fault);
        let missing = spec(serde_json::json!({"operation": "x", "fault": "status"}));
        assert!(matches!(missing, Ok(Err(FaultError::Status(_)))));
        let extra = spec(serde_json::json!({"operation": "x", "fault": "drop", "status": 500}));
        assert!(matches!(extra, Ok(Err(FaultError::Status(_)))));
        let unknown = spec(serde_json::json!({"operation": "x", "fault": "drop", "nope": 1}));
        assert!(unknown.is_err());
    }

    #[test]
    fn default_bodies_look_like_the_service() {
        let gateway = String::from_utf8(default_body(StatusCode::SERVICE_UNAVAILABLE));
        assert!(gateway.is_ok_and(|t| t.contains("503 Service Unavailable")));
        let limited: Value = serde_json::from_slice(&default_body(StatusCode::TOO_MANY_REQUESTS))
            .unwrap_or_default();
        assert_eq!(limited["error"], "reach_limit");
        assert_eq!(
            limited["error_description"],
            "This request has reached api limit"
        );
    }
}
