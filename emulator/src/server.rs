//! What the generated server skeleton ([`generated::api`](crate::generated::api)) calls:
//! extraction of path parameters, query and JSON body with one mapping of extraction
//! failures to the service's answers, the spec's validation, and the success envelope.
//!
//! Extraction failures answer as the service does: 415 `web_application` for a body without
//! a JSON content type, 413 over [`MAX_BODY_BYTES`], 400 `json_parse` when the body is not
//! JSON, and 400 `invalid_parameter` for a value of the wrong type, a missing field or a
//! broken rule (more members than `maxusers` is 403 `exceed_limit`).
//!
//! A server implements every operation of [`Api`](crate::generated::api::Api); one left out
//! does not compile:
//!
//! ```compile_fail,E0046
//! use agora_chat_emulator::generated::api::Api;
//! use agora_chat_emulator::server::WireQuirks;
//!
//! #[derive(Clone)]
//! struct Nothing;
//! impl WireQuirks for Nothing {}
//! impl Api for Nothing {}
//! ```

use std::collections::BTreeMap;

use agora_chat::operation::{OperationMeta, Payload};
use agora_chat::types::{Envelope, ResponseMeta};
use axum::body::Body;
use axum::extract::{Extension, Json, Query};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::IntoResponse;
use axum::routing::MethodRouter;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use axum::extract::Request;
pub use axum::response::Response;

use crate::service_error::ServiceError;
use crate::validate::Checker;

/// Largest request body the service accepts.
pub const MAX_BODY_BYTES: usize = 5120;

/// The internal app UUID the service reports; fixed, as clients ignore it.
pub(crate) const APPLICATION_ID: &str = "8be024f0-e978-11e8-b697-5d598d5f8402";

/// What an operation answers: its `data`, and for cursor-paginated operations the cursor of
/// the next page.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    /// The operation's answer, sent as the envelope's `data` (or `entities`).
    pub data: T,
    /// The next page's cursor, for cursor-paginated operations; `None` on the last page.
    pub cursor: Option<String>,
}

impl<T> Answer<T> {
    /// An answer without a cursor.
    pub fn new(data: T) -> Self {
        Self { data, cursor: None }
    }

    /// Sets the next page's cursor (`None` on the last page).
    pub fn with_cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// Where the service's wire form departs from the spec's types; the defaults follow the spec.
pub trait WireQuirks {
    /// Whether a body field the operation's type does not know is refused (400
    /// `invalid_parameter`) rather than ignored.
    fn refuses_unknown_fields(&self, operation: &'static OperationMeta) -> bool {
        let _ = operation;
        false
    }

    /// For an operation whose `data` the service sends in another form than the spec's
    /// type: the rewrite of that type serialized as JSON. `None` sends the type as it is.
    fn wire_data(&self, operation: &'static OperationMeta) -> Option<Rewrite> {
        let _ = operation;
        None
    }
}

/// A rewrite of an answer's `data`, as JSON.
pub type Rewrite = fn(Value) -> Value;

/// One operation's method route: the host's per-operation middleware (`layer`), behind the
/// extension that names the operation, so that middleware knows it from routing on.
pub fn operation<A, L>(
    route: MethodRouter<A>,
    op: &'static OperationMeta,
    layer: &L,
) -> MethodRouter<A>
where
    A: Clone + Send + Sync + 'static,
    L: Fn(MethodRouter<A>) -> MethodRouter<A>,
{
    layer(route).layer(Extension(op))
}

/// The path parameter in raw segment `segment` (an index of `path.split('/')`).
pub fn path_param<T: DeserializeOwned>(
    parts: &Parts,
    segment: usize,
    name: &str,
) -> Result<T, ServiceError> {
    let value = Value::String(percent_decode(raw_segment(parts, segment)));
    typed(name, value)
}

/// A list path parameter sent as one segment joined by `join`, which arrives raw or
/// percent-encoded (`,` or `%2C`/`%2c`); empty items are ignored.
pub fn path_list<T: DeserializeOwned>(
    parts: &Parts,
    segment: usize,
    name: &str,
    join: &str,
) -> Result<T, ServiceError> {
    let items = split_joined(raw_segment(parts, segment), join);
    let items = items.iter().map(|item| Value::String(percent_decode(item)));
    typed(name, Value::Array(items.collect()))
}

/// The query string as the operation's generated query type.
pub fn query<T: DeserializeOwned>(parts: &Parts) -> Result<T, ServiceError> {
    match Query::<T>::try_from_uri(&parts.uri) {
        Ok(Query(query)) => Ok(query),
        Err(e) => Err(refused(e.body_text())),
    }
}

/// The body as `T`, checked the way the service does: JSON content type, at most
/// [`MAX_BODY_BYTES`], valid JSON, a JSON object (a JSON array when `array` is set: the
/// operation's body is a list), then the type's fields.
pub async fn json_body<T: DeserializeOwned + Serialize>(
    parts: &Parts,
    body: Body,
    refuse_unknown_fields: bool,
    array: bool,
) -> Result<T, ServiceError> {
    if !is_json(&parts.headers) {
        return Err(ServiceError::unsupported_media_type());
    }
    // Any read failure past the limit check is a client that went away; nobody will see
    // the answer, so 413 is as good as any.
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ServiceError::payload_too_large())?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::json_parse(e.to_string()))?;
    // A struct would also decode from an array (as a tuple): the shape is checked first.
    let fields = match value {
        Value::Object(fields) if !array => fields,
        Value::Array(_) if array => serde_json::Map::new(),
        _ => {
            let text = match array {
                true => "request body must be a JSON array",
                false => "request body must be a JSON object",
            };
            return Err(ServiceError::invalid_parameter(text));
        }
    };
    // axum's decoder names the field that failed (`members[0]: invalid type ...`).
    let Json(typed) = Json::<T>::from_bytes(&bytes)
        .map_err(|e| ServiceError::invalid_parameter(e.body_text()))?;
    if refuse_unknown_fields && let Some(field) = unknown_field(&typed, &fields) {
        return Err(ServiceError::invalid_parameter(format!(
            "field '{field}' cannot be set by this request"
        )));
    }
    Ok(typed)
}

/// Turns every broken rule into the service's answer.
pub fn finish(checker: Checker) -> Result<(), ServiceError> {
    checker
        .finish()
        .map_err(|e| crate::validate::service_error(&e))
}

/// A success answer in the envelope, where the operation's spec puts it (`data`, one entity
/// in `entities`, or the whole body); `rewrite` gives the service's wire form of it.
pub fn respond<T: Serialize>(
    parts: &Parts,
    op: &'static OperationMeta,
    answer: Result<Answer<T>, ServiceError>,
    rewrite: Option<Rewrite>,
) -> Response {
    let one_entity = |answer: Answer<T>| {
        let count = (op.payload == Payload::Entities).then_some(1);
        render(parts, op, answer, count, rewrite)
    };
    answer
        .and_then(one_entity)
        .unwrap_or_else(IntoResponse::into_response)
}

/// A success answer that is an array, in the envelope that also carries `count`.
pub fn respond_list<T: Serialize>(
    parts: &Parts,
    op: &'static OperationMeta,
    answer: Result<Answer<Vec<T>>, ServiceError>,
    rewrite: Option<Rewrite>,
) -> Response {
    let render_list = |answer: Answer<Vec<T>>| {
        let count = u64::try_from(answer.data.len()).unwrap_or(u64::MAX);
        render(parts, op, answer, Some(count), rewrite)
    };
    answer
        .and_then(render_list)
        .unwrap_or_else(IntoResponse::into_response)
}

/// A list answer for an operation with `one_item_as_object`: a lone object when the request's
/// list path parameter held one item (`lone`), else an array with `count`, as the service does.
pub fn respond_one_or_list<T: Serialize>(
    parts: &Parts,
    op: &'static OperationMeta,
    answer: Result<Answer<Vec<T>>, ServiceError>,
    rewrite: Option<Rewrite>,
    lone: bool,
) -> Response {
    let render_one = |mut answer: Answer<Vec<T>>| match (answer.data.pop(), answer.data.is_empty())
    {
        (Some(item), true) => render(
            parts,
            op,
            Answer::new(item).with_cursor(answer.cursor),
            None,
            rewrite,
        ),
        (last, _) => {
            answer.data.extend(last);
            let count = u64::try_from(answer.data.len()).unwrap_or(u64::MAX);
            render(parts, op, answer, Some(count), rewrite)
        }
    };
    match lone {
        true => answer
            .and_then(render_one)
            .unwrap_or_else(IntoResponse::into_response),
        false => respond_list(parts, op, answer, rewrite),
    }
}

/// What a dispatcher looks for in a JSON body to pick one of the operations that share a
/// method and path (the spec's `dispatch`).
#[derive(Debug, Clone, Copy)]
pub enum BodyTest {
    /// A JSON object with this key.
    HasKey(&'static str),
    /// A JSON array.
    IsArray,
}

/// For operations that share a method and path: the request (its body buffered, at most
/// [`MAX_BODY_BYTES`]) and whether its body passes `test`. A body that is not JSON goes on to
/// the default operation, whose extraction refuses it as usual.
pub async fn body_passes(request: Request, test: BodyTest) -> Result<(Request, bool), Response> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ServiceError::payload_too_large().into_response())?;
    let value = serde_json::from_slice::<Value>(&bytes).ok();
    let passes = match (test, value) {
        (BodyTest::HasKey(key), Some(Value::Object(fields))) => fields.contains_key(key),
        (BodyTest::IsArray, Some(value)) => value.is_array(),
        _ => false,
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), passes))
}

// Serialized straight from the typed data, unless a rewrite needs it as JSON first.
fn render<T: Serialize>(
    parts: &Parts,
    op: &'static OperationMeta,
    answer: Answer<T>,
    count: Option<u64>,
    rewrite: Option<Rewrite>,
) -> Result<Response, ServiceError> {
    // The gate puts the context on every request it lets through.
    let ctx = parts
        .extensions
        .get::<Ctx>()
        .ok_or_else(ServiceError::internal)?;
    if op.payload == Payload::Data && rewrite.is_none() {
        return Ok(ctx.reply(answer, count));
    }
    let data = serde_json::to_value(&answer.data).map_err(|_| ServiceError::internal())?;
    let data = rewrite.map_or(data.clone(), |rewrite| rewrite(data));
    let answer = Answer::new(data).with_cursor(answer.cursor);
    match op.payload {
        Payload::Data => Ok(ctx.reply(answer, count)),
        Payload::Entities => Ok(ctx.reply_entities(answer, count)),
        Payload::Body => Ok(ctx.reply_whole(answer)),
    }
}

/// What the envelope needs to know about its request, captured by the gate.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) org: String,
    pub(crate) app: String,
    pub(crate) method: Method,
    pub(crate) host: String,
    /// The raw request path, percent escapes kept.
    pub(crate) full_path: String,
    /// The raw path below `/{org}/{app}`, e.g. `/chatrooms`.
    pub(crate) sub_path: String,
    pub(crate) query: Vec<(String, String)>,
}

impl Ctx {
    fn reply<T: Serialize>(&self, answer: Answer<T>, count: Option<u64>) -> Response {
        let mut envelope = self.envelope(answer.data);
        envelope.count = count;
        envelope.cursor = answer.cursor;
        Json(envelope).into_response()
    }

    /// The envelope without `data`, the answer in `entities` (always an array).
    fn reply_entities(&self, answer: Answer<Value>, count: Option<u64>) -> Response {
        let entities = match answer.data {
            Value::Array(items) => items,
            one => vec![one],
        };
        let mut meta = self.meta().entities(entities);
        meta.count = count;
        meta.cursor = answer.cursor;
        Json(meta).into_response()
    }

    /// The envelope's metadata with the answer's own fields over it (e.g. `entities` and
    /// `data` of a batch registration).
    fn reply_whole(&self, answer: Answer<Value>) -> Response {
        let meta = serde_json::to_value(self.meta()).unwrap_or_default();
        let mut body = match meta {
            Value::Object(fields) => fields,
            _ => serde_json::Map::new(),
        };
        if let Value::Object(fields) = answer.data {
            body.extend(fields);
        }
        Json(Value::Object(body)).into_response()
    }

    /// The success envelope around `data`.
    fn envelope<T>(&self, data: T) -> Envelope<T> {
        Envelope::from_parts(data, self.meta())
    }

    /// The envelope's metadata for this request.
    fn meta(&self) -> ResponseMeta {
        let meta = ResponseMeta::default()
            .action(self.method.as_str().to_ascii_lowercase())
            .application(APPLICATION_ID)
            .application_name(self.app.clone())
            .organization(self.org.clone())
            .uri(format!("http://{}{}", self.host, self.full_path))
            .path(self.sub_path.clone())
            .entities(Vec::<Value>::new())
            .timestamp(crate::now_ms())
            .duration(0);
        match self.params() {
            Some(params) => meta.params(params),
            None => meta,
        }
    }

    // The query echoed back, every value an array of strings.
    fn params(&self) -> Option<BTreeMap<String, Vec<String>>> {
        if self.query.is_empty() {
            return None;
        }
        let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in &self.query {
            params.entry(k.clone()).or_default().push(v.clone());
        }
        Some(params)
    }
}

fn typed<T: DeserializeOwned>(name: &str, value: Value) -> Result<T, ServiceError> {
    serde_json::from_value(value).map_err(|e| refused(format!("`{name}`: {e}")))
}

// The one answer to a value that does not fit its generated type (missing, wrong type, out
// of the type's range), wherever it was sent: 400 `invalid_parameter` saying which and why.
fn refused(why: String) -> ServiceError {
    ServiceError::invalid_parameter(why)
}

// Routing matched whole segments of the raw path, so segment `index` is the parameter.
fn raw_segment(parts: &Parts, index: usize) -> &str {
    parts.uri.path().split('/').nth(index).unwrap_or_default()
}

// `a,b%2Cc%2cd` -> [a, b, c, d] for join `,`; empty items dropped.
fn split_joined(raw: &str, join: &str) -> Vec<String> {
    let encoded: String = join.bytes().map(|b| format!("%{b:02X}")).collect();
    let unified = raw
        .replace(&encoded, join)
        .replace(&encoded.to_ascii_lowercase(), join);
    let items = unified.split(join).filter(|item| !item.is_empty());
    items.map(str::to_owned).collect()
}

// Percent-decoding that never fails: bytes that are not UTF-8 become U+FFFD, so such a
// segment reaches the rules (a malformed username) or the store (no such chatroom).
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&first, tail)) = rest.split_first() {
        match (first, hex_byte(tail)) {
            (b'%', Some(byte)) => {
                out.push(byte);
                rest = tail.get(2..).unwrap_or_default();
            }
            _ => {
                out.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(bytes: &[u8]) -> Option<u8> {
    let digits = bytes.get(..2)?;
    let text = std::str::from_utf8(digits).ok()?;
    let hex = digits.iter().all(u8::is_ascii_hexdigit);
    hex.then(|| u8::from_str_radix(text, 16).ok()).flatten()
}

fn is_json(headers: &HeaderMap) -> bool {
    let value = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let mime = value.and_then(|v| v.split(';').next()).unwrap_or_default();
    mime.trim().eq_ignore_ascii_case("application/json")
}

// A field of the request that `typed` does not keep: its type has no such field. `null`
// counts as absent.
fn unknown_field<T: Serialize>(typed: &T, sent: &serde_json::Map<String, Value>) -> Option<String> {
    let kept = serde_json::to_value(typed).ok();
    let kept = kept.as_ref().and_then(Value::as_object);
    let known = |key: &String| kept.is_some_and(|k| k.contains_key(key));
    let mut unknown = sent
        .iter()
        .filter(|(key, value)| !value.is_null() && !known(key));
    unknown.next().map(|(key, _)| key.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_raw_and_escaped_separators() {
        assert_eq!(split_joined("1%2C2,3%2c2", ","), ["1", "2", "3", "2"]);
        assert_eq!(split_joined(",,%2C", ","), Vec::<String>::new());
    }

    #[test]
    fn values_that_do_not_fit_their_type_are_invalid_parameter() {
        let request = Request::builder().uri("/o/a/rooms/x?limit=many");
        let (parts, _) = request.body(Body::empty()).unwrap().into_parts();
        let room = path_param::<u32>(&parts, 4, "room").err();
        assert_eq!(room.as_ref().map(|e| e.error), Some("invalid_parameter"));
        assert!(room.is_some_and(|e| e.description.contains("`room`")));
        #[derive(serde::Deserialize)]
        struct Paging {
            #[allow(dead_code)] // Only its failure is looked at.
            limit: Option<u32>,
        }
        let paging = query::<Paging>(&parts).err();
        assert!(paging.is_some_and(|e| e.description.contains("limit")));
    }

    #[test]
    fn percent_decoding_never_fails() {
        assert_eq!(percent_decode("a%2Fb%20c"), "a/b c");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
        assert_eq!(percent_decode("%+1%2"), "%+1%2");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn content_type_allows_parameters() {
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert!(is_json(&h));
        h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(!is_json(&h));
    }

    #[test]
    fn unknown_fields_are_those_the_type_drops() {
        let update = agora_chat::types::UpdateChatroom::default().name("x");
        let sent = serde_json::json!({"name": "x", "owner": "o", "description": null});
        let sent = sent.as_object().cloned().unwrap_or_default();
        assert_eq!(unknown_field(&update, &sent).as_deref(), Some("owner"));
    }
}
