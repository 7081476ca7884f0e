//! HTTP routing and what every route shares: the gate (org/app and token),
//! the request context, the success envelope and body reading.

mod admin;
mod chatrooms;
mod token;
mod users;

use std::collections::BTreeMap;
use std::time::Instant;

use agora_chat::operation::OperationMeta;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Query, Request, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, Method, Uri};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};

use crate::link::Link;
use crate::service_error::ServiceError;
use crate::wire::{Envelope, ResponseMeta};
use crate::{AppState, now_ms};

/// Largest request body the service accepts.
pub const MAX_BODY_BYTES: usize = 5120;

/// The internal app UUID the service reports; fixed, as clients ignore it.
pub(crate) const APPLICATION_ID: &str = "8be024f0-e978-11e8-b697-5d598d5f8402";

/// The emulator's routes, with the org/app and token checks in front.
pub fn router(state: AppState) -> Router {
    let chatroom = get(chatrooms::details)
        .put(chatrooms::update)
        .delete(chatrooms::delete);
    let api = Router::new()
        .route(
            "/{org}/{app}/chatrooms",
            get(chatrooms::list).post(chatrooms::create),
        )
        .route("/{org}/{app}/chatrooms/{ids}", chatroom)
        .route(
            "/{org}/{app}/users/{username}/joined_chatrooms",
            get(users::joined),
        )
        .route(TOKEN_ROUTE, post(token::issue))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Inside the gate: only requests with a valid token use up the quota.
        .layer(from_fn_with_state(state.clone(), quota))
        .layer(from_fn_with_state(state.clone(), gate))
        // Outside the gate, so every request to an API route is counted.
        .layer(from_fn_with_state(state.clone(), controls))
        // The test controls: no token, outside `/{org}/{app}`.
        .merge(admin::routes());
    let api = if state.log_requests() {
        api.layer(from_fn(log_request))
    } else {
        api
    };
    api.with_state(state)
}

async fn not_found() -> ServiceError {
    ServiceError::service_resource_not_found()
}

async fn method_not_allowed() -> ServiceError {
    ServiceError::method_not_allowed()
}

async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    eprintln!("{method} {path} {} {ms:.1}ms", res.status().as_u16());
    res
}

/// The client operation a request performs, found by `controls`.
#[derive(Debug, Clone, Copy)]
struct Operation(&'static OperationMeta);

// Runs before the gate on every request that matched a route: requests to a
// client operation's route of this app are counted, whatever the answer, and
// meet the next fault injected for the operation.
async fn controls(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(op) = operation_of(&state, &req) else {
        return next.run(req).await;
    };
    state.count_request(op.id);
    req.extensions_mut().insert(Operation(op));
    match state.faults().next(op.id) {
        None => next.run(req).await,
        Some(fault) => {
            let link = req.extensions().get::<ConnectInfo<Link>>();
            let link = link.map(|ConnectInfo(link)| link.clone());
            crate::faults::apply(fault, link, req, next).await
        }
    }
}

// Runs after the gate: 429 `reach_limit` over the operation's quota.
async fn quota(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let op = req.extensions().get::<Operation>().copied();
    match op {
        Some(Operation(op)) if !state.limiter().admit(op.id) => {
            ServiceError::reach_limit().into_response()
        }
        _ => next.run(req).await,
    }
}

// The client operation a request to this app performs.
fn operation_of(state: &AppState, req: &Request) -> Option<&'static OperationMeta> {
    below_app(req.uri().path(), state.org(), state.app())?;
    let route = req.extensions().get::<MatchedPath>()?;
    crate::controls::operation_of(req.method().as_str(), route.as_str())
}

/// What a route needs to know about its request, captured by the gate.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    method: Method,
    host: String,
    /// The raw request path, percent escapes kept.
    full_path: String,
    /// The raw path below `/{org}/{app}`, e.g. `/chatrooms`.
    sub_path: String,
    query: Vec<(String, String)>,
}

impl Ctx {
    /// The raw path segment at `index` below `/{org}/{app}` (0 = `chatrooms`).
    pub(crate) fn segment(&self, index: usize) -> &str {
        self.sub_path.split('/').nth(index + 1).unwrap_or_default()
    }

    /// The first value of a query parameter.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        let mut found = self.query.iter().filter(|(k, _)| k == name);
        found.next().map(|(_, v)| v.as_str())
    }

    /// An integer query parameter, which must lie in `min..=max`.
    pub(crate) fn int_param(
        &self,
        name: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<usize>, ServiceError> {
        let Some(raw) = self.query(name) else {
            return Ok(None);
        };
        match raw.trim().parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ServiceError::invalid_parameter(format!(
                "{name} must be an integer from {min} to {max}, got '{raw}'"
            ))),
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

/// The token endpoint: the one route that needs no bearer token.
const TOKEN_ROUTE: &str = "/{org}/{app}/token";

// Runs before every route and fallback: the app must exist, then the token
// must be valid (except at the token endpoint), before anything about the
// request itself is looked at.
async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match admit(&state, &req) {
        Ok(ctx) => {
            req.extensions_mut().insert(ctx);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

fn admit(state: &AppState, req: &Request) -> Result<Ctx, ServiceError> {
    let path = req.uri().path();
    let sub_path = below_app(path, state.org(), state.app())
        .ok_or_else(|| ServiceError::org_app_not_found(state.org(), state.app(), path))?;
    if sub_path != "/token" {
        state.authenticate(req.headers())?;
    }
    let query = Query::<Vec<(String, String)>>::try_from_uri(req.uri())
        .map_err(|e| ServiceError::invalid_parameter(format!("malformed query string: {e}")))?;
    Ok(Ctx {
        method: req.method().clone(),
        host: host(req.headers(), req.uri()),
        full_path: path.to_owned(),
        sub_path: sub_path.to_owned(),
        query: query.0,
    })
}

// The rest of `path` when it starts with `/{org}/{app}` as a whole segment pair.
fn below_app<'a>(path: &'a str, org: &str, app: &str) -> Option<&'a str> {
    let rest = path.strip_prefix('/')?.strip_prefix(org)?;
    let rest = rest.strip_prefix('/')?.strip_prefix(app)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

fn host(headers: &HeaderMap, uri: &Uri) -> String {
    let header = headers.get(HOST).and_then(|h| h.to_str().ok());
    let authority = uri.authority().map(|a| a.as_str());
    header.or(authority).unwrap_or("localhost").to_owned()
}

/// The success envelope around `data`.
pub(crate) fn envelope<T>(state: &AppState, ctx: &Ctx, data: T) -> Envelope<T> {
    let meta = ResponseMeta::default()
        .action(ctx.method.as_str().to_ascii_lowercase())
        .application(APPLICATION_ID)
        .application_name(state.app())
        .organization(state.org())
        .uri(format!("http://{}{}", ctx.host, ctx.full_path))
        .path(ctx.sub_path.clone())
        .entities(Vec::<Value>::new())
        .timestamp(now_ms())
        .duration(0);
    let meta = match ctx.params() {
        Some(params) => meta.params(params),
        None => meta,
    };
    Envelope::from_parts(data, meta)
}

/// The envelope for array data, which also carries `count`.
pub(crate) fn list_envelope<T>(state: &AppState, ctx: &Ctx, data: Vec<T>) -> Envelope<Vec<T>> {
    let count = u64::try_from(data.len()).unwrap_or(u64::MAX);
    let mut reply = envelope(state, ctx, data);
    reply.count = Some(count);
    reply
}

/// Reads a POST/PUT body the way the service does: JSON content type, at
/// most [`MAX_BODY_BYTES`], valid JSON, and a JSON object.
pub(crate) async fn read_object(
    headers: &HeaderMap,
    body: Body,
) -> Result<Map<String, Value>, ServiceError> {
    if !is_json(headers) {
        return Err(ServiceError::unsupported_media_type());
    }
    // Any read failure past the limit check is a client that went away;
    // nobody will see the answer, so 413 is as good as any.
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ServiceError::payload_too_large())?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::json_parse(e.to_string()))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ServiceError::invalid_parameter(
            "request body must be a JSON object",
        )),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let value = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let mime = value.and_then(|v| v.split(';').next()).unwrap_or_default();
    mime.trim().eq_ignore_ascii_case("application/json")
}

/// A string field; `null` counts as absent.
pub(crate) fn string_field(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ServiceError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(key, "a string")),
    }
}

/// A non-negative integer field that fits in u32; `null` counts as absent.
pub(crate) fn u32_field(map: &Map<String, Value>, key: &str) -> Result<Option<u32>, ServiceError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let n = n.as_u64().and_then(|n| u32::try_from(n).ok());
            n.map(Some)
                .ok_or_else(|| wrong_type(key, "a non-negative integer"))
        }
        Some(_) => Err(wrong_type(key, "an integer")),
    }
}

/// A non-negative integer field; `null` counts as absent.
pub(crate) fn u64_field(map: &Map<String, Value>, key: &str) -> Result<Option<u64>, ServiceError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| wrong_type(key, "a non-negative integer")),
        Some(_) => Err(wrong_type(key, "an integer")),
    }
}

/// An array-of-strings field; `null` counts as absent.
pub(crate) fn strings_field(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<Vec<String>>, ServiceError> {
    let items = match map.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(wrong_type(key, "an array of strings")),
    };
    let strings = items.iter().map(|v| v.as_str().map(str::to_owned));
    let strings: Option<Vec<String>> = strings.collect();
    strings
        .map(Some)
        .ok_or_else(|| wrong_type(key, "an array of strings"))
}

fn wrong_type(key: &str, expected: &str) -> ServiceError {
    ServiceError::invalid_parameter(format!("{key} must be {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_app_needs_whole_segments() {
        assert_eq!(
            below_app("/demo/demo/chatrooms", "demo", "demo"),
            Some("/chatrooms")
        );
        assert_eq!(below_app("/demo/demo", "demo", "demo"), Some(""));
        assert_eq!(below_app("/demo/demox/chatrooms", "demo", "demo"), None);
        assert_eq!(below_app("/demo", "demo", "demo"), None);
        assert_eq!(below_app("/other/demo/chatrooms", "demo", "demo"), None);
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
}
