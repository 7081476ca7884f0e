//! The test controls over HTTP, under `/_emulator` (the real service has no
//! such paths). No service token is needed; with an admin token configured, every control
//! but `health` needs it. Bodies and answers are JSON. See the crate docs for the format.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use std::time::Duration;

use agora_chat::Secret;
use axum::extract::Request;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::faults::FaultSpec;
use crate::service_error::ServiceError;
use crate::{AppState, Info, Reset, StateError, StateSnapshot};

pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let protected = Router::new()
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route(
            "/_emulator/requests",
            get(request_counts).delete(reset_request_counts),
        )
        .route("/_emulator/quotas", get(quotas))
        .route("/_emulator/info", get(info))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/state", get(export_state).put(import_state))
        .route("/_emulator/journal", get(journal).delete(clear_journal))
        .route("/_emulator/clock", get(clock).post(move_clock))
        .route_layer(from_fn_with_state(state.clone(), require_admin));
    protected
        .route("/_emulator/health", get(health))
        .route("/_emulator/openapi.json", get(openapi))
}

/// The OpenAPI 3.1 document of the API, generated from the spec by `cargo xtask gen`.
pub const OPENAPI_JSON: &str = include_str!("../../openapi/agora-chat.openapi.json");

/// `GET /_emulator/openapi.json`: the OpenAPI document (public, like `health`: it holds no
/// state and no secret).
async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_JSON,
    )
}

/// `GET /_emulator/faults`: `{"faults": [..]}`, next first per operation.
async fn list_faults(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "faults": state.faults().specs() }))
}

/// `POST /_emulator/faults`: one fault object or an array of them, queued in
/// order. Nothing is queued when any is invalid (400 `invalid_parameter`).
async fn add_faults(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ServiceError> {
    let value: Value =
        serde_json::from_slice(&body).map_err(|e| ServiceError::json_parse(e.to_string()))?;
    let specs = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    let invalid = |e: &dyn std::fmt::Display| ServiceError::invalid_parameter(e.to_string());
    let mut faults = Vec::with_capacity(specs.len());
    for spec in specs {
        let spec: FaultSpec = serde_json::from_value(spec).map_err(|e| invalid(&e))?;
        let (operation, fault) = spec.into_fault().map_err(|e| invalid(&e))?;
        // Checked on a scratch queue first, so a bad fault queues nothing.
        crate::faults::Faults::default()
            .push(&operation, fault.clone())
            .map_err(|e| invalid(&e))?;
        faults.push((operation, fault));
    }
    for (operation, fault) in faults {
        state
            .faults()
            .push(&operation, fault)
            .map_err(|e| invalid(&e))?;
    }
    Ok(list_faults(State(state)).await)
}

#[derive(Debug, Deserialize)]
struct Only {
    operation: Option<String>,
}

/// `DELETE /_emulator/faults[?operation=ID]`: removes every queued fault, or
/// those of one operation.
async fn clear_faults(State(state): State<AppState>, Query(only): Query<Only>) -> Json<Value> {
    match only.operation {
        Some(op) => state.faults().clear_operation(&op),
        None => state.faults().clear(),
    }
    list_faults(State(state)).await
}

/// `GET /_emulator/requests`: requests and quota refusals per operation.
async fn request_counts(State(state): State<AppState>) -> Json<Value> {
    let object = |counts: Vec<(&str, u64)>| {
        let map: Map<String, Value> = counts
            .into_iter()
            .map(|(op, n)| (op.to_owned(), Value::from(n)))
            .collect();
        Value::Object(map)
    };
    Json(json!({
        "requests": object(state.request_counts()),
        "throttled": object(state.throttled_counts()),
    }))
}

/// `DELETE /_emulator/requests`: sets every count back to 0.
async fn reset_request_counts(State(state): State<AppState>) -> Json<Value> {
    state.reset_request_counts();
    request_counts(State(state)).await
}

/// `GET /_emulator/quotas`: `{"quotas": {"create_chatroom": 50, ..}}`, the
/// limited operations only.
async fn quotas(State(state): State<AppState>) -> Json<Value> {
    let quotas = state.quotas();
    let limited = agora_chat::operations::OPERATIONS.iter().filter_map(|op| {
        quotas
            .limit(op.id)
            .map(|n| (op.id.to_owned(), Value::from(n)))
    });
    Json(json!({ "quotas": Value::Object(limited.collect()) }))
}

/// `GET /_emulator/health`: `{"status": "ok"}` while the server answers; no admin token.
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /_emulator/info`: name, version, org/app, auth modes, quotas on or off.
async fn info(State(state): State<AppState>) -> Json<Info> {
    Json(state.info())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scope {
    scope: Option<String>,
}

/// `POST /_emulator/reset[?scope=all|counts]`: `{"reset": "all"}` or `{"reset": "counts"}`.
async fn reset(
    State(state): State<AppState>,
    Query(scope): Query<Scope>,
) -> Result<Json<Value>, ServiceError> {
    let (what, name) = match scope.scope.as_deref() {
        None | Some("all") => (Reset::All, "all"),
        Some("counts") => (Reset::Counts, "counts"),
        Some(other) => {
            return Err(ServiceError::invalid_parameter(format!(
                "scope must be all or counts, not '{other}'"
            )));
        }
    };
    state.reset(what);
    Ok(Json(json!({ "reset": name })))
}

/// `GET /_emulator/state`: the whole state document.
async fn export_state(State(state): State<AppState>) -> Json<StateSnapshot> {
    Json(state.export_state())
}

/// `PUT /_emulator/state`: replaces the whole state (400 `invalid_parameter` naming the
/// problem, and nothing changed, when the document is wrong); answers the new state.
async fn import_state(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<StateSnapshot>, ServiceError> {
    let refused = |e: StateError| ServiceError::invalid_parameter(e.0);
    let text = std::str::from_utf8(&body)
        .map_err(|_| ServiceError::invalid_parameter("the state document is not UTF-8"))?;
    let snapshot = StateSnapshot::from_json(text).map_err(refused)?;
    state.import_state(&snapshot).map_err(refused)?;
    Ok(export_state(State(state)).await)
}

/// `GET /_emulator/journal`: `{"requests": [..]}`, oldest first.
async fn journal(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "requests": state.journal() }))
}

/// `DELETE /_emulator/journal`: empties it.
async fn clear_journal(State(state): State<AppState>) -> Json<Value> {
    state.clear_journal();
    journal(State(state)).await
}

/// `GET /_emulator/clock`: `{"now_unix": N}`.
async fn clock(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "now_unix": state.now_unix() }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveClock {
    now_unix: Option<u64>,
    advance_secs: Option<u64>,
}

/// `POST /_emulator/clock` with `{"now_unix": N}` or `{"advance_secs": N}`.
async fn move_clock(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ServiceError> {
    let invalid = |e: &dyn std::fmt::Display| ServiceError::invalid_parameter(e.to_string());
    let change: MoveClock = serde_json::from_slice(&body).map_err(|e| invalid(&e))?;
    match (change.now_unix, change.advance_secs) {
        (Some(now), None) => state.set_clock(now),
        (None, Some(secs)) => state.advance_clock(Duration::from_secs(secs)),
        _ => return Err(invalid(&"give exactly one of now_unix and advance_secs")),
    }
    Ok(clock(State(state)).await)
}

// Every control but health needs the admin token, when one is configured.
async fn require_admin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.admin_token() else {
        return next.run(req).await;
    };
    let sent = crate::auth::bearer_token(req.headers()).map(Secret::from);
    if sent.as_ref() == Some(expected) {
        next.run(req).await
    } else {
        ServiceError::unauthorized().into_response()
    }
}
