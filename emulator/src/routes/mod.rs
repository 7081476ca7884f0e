//! The HTTP surface around the generated routes: the middleware of every operation (request
//! counts and faults, the gate for org/app and token, quotas), the token endpoint, the 404
//! and 405 answers, and the test controls.

mod admin;
mod api;
mod chatrooms;
mod members;
mod moderation;
mod token;
mod users;

use std::time::Instant;

use agora_chat::operation::OperationMeta;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, Uri};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};

use crate::AppState;
use crate::journal::JournalEntry;
use crate::link::Link;
use crate::server::Ctx;
use crate::service_error::ServiceError;

/// The emulator's routes: the generated operation routes, each behind the controls, the
/// gate (org/app and token) and the quota; the token endpoint; the test controls.
pub fn router(state: AppState) -> Router {
    let api = crate::generated::api::routes(per_operation(&state))
        // The token endpoint follows the generated routes' capture names (by segment).
        .route(
            TOKEN_ROUTE,
            post(token::issue).layer(from_fn_with_state(state.clone(), gate)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // The test controls: no token, outside `/{org}/{app}`.
        .merge(admin::routes(&state));
    let api = if state.log_requests() {
        api.layer(from_fn(log_request))
    } else {
        api
    };
    // Outermost, so the journal records the status the client got.
    let api = api.layer(from_fn_with_state(state.clone(), journal));
    api.with_state(state)
}

// The middleware of every operation's route, innermost first. The generated router puts the
// operation (`&'static OperationMeta`) on the request before any of it runs.
fn per_operation(
    state: &AppState,
) -> impl Fn(MethodRouter<AppState>) -> MethodRouter<AppState> + use<> {
    let state = state.clone();
    move |route| {
        route
            // Inside the gate: only requests with a valid token use up the quota.
            .layer(from_fn_with_state(state.clone(), quota))
            .layer(from_fn_with_state(state.clone(), gate))
            // Outside the gate, so every request to an operation's route is counted.
            .layer(from_fn_with_state(state.clone(), controls))
            // Outermost: trims the envelope of the answers the service sends trimmed.
            .layer(from_fn(moderation::trim_envelope))
    }
}

// No route: the app and the token are checked first, as for every request.
async fn not_found(State(state): State<AppState>, req: Request) -> ServiceError {
    match admit(&state, &req) {
        Ok(_) => ServiceError::service_resource_not_found(),
        Err(e) => e,
    }
}

// A route without this method: the app and the token are checked first.
async fn method_not_allowed(State(state): State<AppState>, req: Request) -> ServiceError {
    match admit(&state, &req) {
        Ok(_) => ServiceError::method_not_allowed(),
        Err(e) => e,
    }
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

// The operation the generated route tagged the request with, for requests to this app.
// A HEAD request runs a GET route but is not the client's operation, so it is not counted.
fn operation_of(state: &AppState, req: &Request) -> Option<&'static OperationMeta> {
    state.below_app(req.uri().path())?;
    let op = req.extensions().get::<&'static OperationMeta>().copied()?;
    (op.method.as_str() == req.method().as_str()).then_some(op)
}

// Runs before the gate on every request to an operation's route: requests of this app are
// counted, whatever the answer, and meet the next fault injected for the operation.
async fn controls(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(op) = operation_of(&state, &req) else {
        return next.run(req).await;
    };
    state.count_request(op.id);
    let mut res = match state.faults().next(op.id) {
        None => next.run(req).await,
        Some(fault) => {
            let link = req.extensions().get::<ConnectInfo<Link>>();
            let link = link.map(|ConnectInfo(link)| link.clone());
            crate::faults::apply(fault, link, req, next).await
        }
    };
    // The journal, outside the router, learns the operation from the response.
    res.extensions_mut().insert(OperationTag(op.id));
    res
}

/// The client operation a response answered, for the journal.
#[derive(Debug, Clone, Copy)]
struct OperationTag(&'static str);

/// Bodies above this are not buffered for the journal but answered 413 at once; far above
/// what any operation accepts ([`crate::server::MAX_BODY_BYTES`]), so no answer changes.
const JOURNAL_BODY_LIMIT: usize = 1 << 20;

// Records every request to the API (not to the controls): the body is buffered so it can be
// both recorded and handed on.
async fn journal(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/_emulator/") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, JOURNAL_BODY_LIMIT).await else {
        return ServiceError::payload_too_large().into_response();
    };
    let mut entry = JournalEntry {
        seq: 0,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        status: 0,
        operation: None,
        body: crate::journal::recorded_body(&bytes),
    };
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    entry.status = res.status().as_u16();
    let tag = res.extensions().get::<OperationTag>();
    entry.operation = tag.map(|OperationTag(op)| (*op).to_owned());
    state.record(entry);
    res
}

// Runs after the gate: 429 `reach_limit` over the operation's quota.
async fn quota(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match operation_of(&state, &req) {
        Some(op) if !state.limiter().admit(op.id) => ServiceError::reach_limit().into_response(),
        _ => next.run(req).await,
    }
}

/// The token endpoint: the one route that needs no bearer token.
const TOKEN_ROUTE: &str = "/{s1}/{s2}/token";

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
    let sub_path = state
        .below_app(path)
        .ok_or_else(|| ServiceError::org_app_not_found(path))?;
    if sub_path != "/token" {
        state.authenticate(req.headers())?;
    }
    let query = Query::<Vec<(String, String)>>::try_from_uri(req.uri())
        .map_err(|e| ServiceError::invalid_parameter(format!("malformed query string: {e}")))?;
    Ok(Ctx {
        org: state.org().to_owned(),
        app: state.app().to_owned(),
        method: req.method().clone(),
        host: host(req.headers(), req.uri()),
        full_path: path.to_owned(),
        sub_path: sub_path.to_owned(),
        query: query.0,
    })
}

fn host(headers: &HeaderMap, uri: &Uri) -> String {
    let header = headers.get(HOST).and_then(|h| h.to_str().ok());
    let authority = uri.authority().map(|a| a.as_str());
    header.or(authority).unwrap_or("localhost").to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn below_app_needs_whole_segments_of_either_base_path() {
        let state = crate::Emulator::builder()
            .org("demo")
            .app("demo")
            .app_id("0123456789abcdef0123456789abcdef")
            .state();
        let below = |path| state.below_app(path);
        assert_eq!(below("/demo/demo/chatrooms"), Some("/chatrooms"));
        assert_eq!(below("/demo/demo"), Some(""));
        assert_eq!(below("/demo/demox/chatrooms"), None);
        assert_eq!(below("/demo"), None);
        assert_eq!(below("/other/demo/chatrooms"), None);
        let by_id = "/app-id/0123456789abcdef0123456789abcdef/chatrooms";
        assert_eq!(below(by_id), Some("/chatrooms"));
        assert_eq!(
            below("/app-id/0123456789abcdef0123456789abcdeX/chatrooms"),
            None
        );
        assert_eq!(below("/app-id/demo/chatrooms"), None);
        let without_id = crate::Emulator::builder().state();
        assert_eq!(without_id.below_app(by_id), None);
    }
}
