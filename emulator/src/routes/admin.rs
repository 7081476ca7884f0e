//! The test controls over HTTP, under `/_emulator` (the real service has no
//! such paths). No token is needed; bodies and answers are JSON. See the
//! crate docs for the format.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::faults::FaultSpec;
use crate::service_error::ServiceError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route(
            "/_emulator/requests",
            get(request_counts).delete(reset_request_counts),
        )
        .route("/_emulator/quotas", get(quotas))
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
