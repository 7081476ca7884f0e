//! `/{org}/{app}/chatrooms` and `/{org}/{app}/chatrooms/{ids}`.

use std::collections::HashSet;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::{Ctx, envelope, list_envelope, read_object, string_field, strings_field, u32_field};
use crate::service_error::ServiceError;
use crate::validate;
use crate::wire::{
    ChatroomDetail, ChatroomId, ChatroomSummary, CreateChatroom, CreatedChatroom, DeleteResult,
    Envelope, UpdateChatroom, UpdateResult,
};
use crate::{AppState, now_ms};
use agora_chat::operations::{GET_CHATROOMS_CHATROOM_IDS_MAX_ITEMS, ListChatroomsQuery};

// The spec's numbers, from the client's generated code (the two sides cannot drift).
const LIST_LIMIT_DEFAULT: usize = ListChatroomsQuery::LIMIT_DEFAULT as usize;
const LIST_LIMIT_MIN: usize = ListChatroomsQuery::LIMIT_MIN as usize;
const LIST_LIMIT_MAX: usize = ListChatroomsQuery::LIMIT_MAX as usize;
const DETAILS_MAX_IDS: usize = GET_CHATROOMS_CHATROOM_IDS_MAX_ITEMS;
const CURSOR_PREFIX: &str = "emulator-chatroom:";

type Reply<T> = Result<Json<Envelope<T>>, ServiceError>;

/// `POST /chatrooms`
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    body: Body,
) -> Reply<CreatedChatroom> {
    let map = read_object(&headers, body).await?;
    let req = parse_create(&map)?;
    validate::check(&req)?;
    let id = state.store().create(&req, now_ms())?;
    Ok(Json(envelope(&state, &ctx, CreatedChatroom::new(id))))
}

/// `GET /chatrooms?limit=N&cursor=C`
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Reply<Vec<ChatroomSummary>> {
    let limit = ctx.int_param("limit", LIST_LIMIT_MIN, LIST_LIMIT_MAX)?;
    // An empty cursor is refused like any malformed one (the client refuses it too).
    let cursor = ctx.query("cursor");
    let before = cursor.map(decode_cursor).transpose()?;
    let page = state
        .store()
        .list(limit.unwrap_or(LIST_LIMIT_DEFAULT), before);
    let mut reply = list_envelope(&state, &ctx, page.items);
    reply.cursor = page.next.map(encode_cursor);
    Ok(Json(reply))
}

/// `GET /chatrooms/{id1},{id2},...`
pub(crate) async fn details(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Reply<Vec<ChatroomDetail>> {
    let ids = parse_ids(ctx.segment(1))?;
    let rooms = state.store().details(&ids);
    if rooms.is_empty() {
        return Err(ServiceError::service_resource_not_found());
    }
    Ok(Json(list_envelope(&state, &ctx, rooms)))
}

/// `PUT /chatrooms/{id}`
pub(crate) async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    body: Body,
) -> Reply<UpdateResult> {
    let map = read_object(&headers, body).await?;
    let req = parse_update(&map)?;
    validate::check(&req)?;
    let id = room_id(ctx.segment(1)).ok_or_else(ServiceError::service_resource_not_found)?;
    let result = state.store().update(id, &req)?;
    Ok(Json(envelope(&state, &ctx, result)))
}

/// `DELETE /chatrooms/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Reply<DeleteResult> {
    let id = room_id(ctx.segment(1)).ok_or_else(ServiceError::service_resource_not_found)?;
    state.store().delete(id)?;
    let data = DeleteResult::new(true, ChatroomId::new(id.to_string()));
    Ok(Json(envelope(&state, &ctx, data)))
}

// JSON shape only; the value rules are the spec's (`validate::check`).
// Unknown fields are ignored. Missing required fields are
// `invalid_parameter`, which is what the service answers (e.g. "owner must
// be provided").
fn parse_create(map: &Map<String, Value>) -> Result<CreateChatroom, ServiceError> {
    let required = |key: &str, message: &str| {
        string_field(map, key)?.ok_or_else(|| ServiceError::invalid_parameter(message))
    };
    let mut req = CreateChatroom::new(
        required("name", "chatroom must contain title/name field!")?,
        required("description", "description must be provided")?,
        required("owner", "owner must be provided")?,
    );
    req.maxusers = u32_field(map, "maxusers")?;
    req.members = strings_field(map, "members")?;
    req.custom = string_field(map, "custom")?;
    Ok(req)
}

// JSON shape only; only the three documented fields may appear.
fn parse_update(map: &Map<String, Value>) -> Result<UpdateChatroom, ServiceError> {
    const ALLOWED: [&str; 3] = ["name", "description", "maxusers"];
    if let Some(key) = map.keys().find(|k| !ALLOWED.contains(&k.as_str())) {
        return Err(ServiceError::invalid_parameter(format!(
            "field '{key}' cannot be updated: only name, description and maxusers can"
        )));
    }
    let mut req = UpdateChatroom::default();
    if let Some(name) = string_field(map, "name")? {
        req = req.name(name);
    }
    if let Some(description) = string_field(map, "description")? {
        req = req.description(description);
    }
    if let Some(maxusers) = u32_field(map, "maxusers")? {
        req = req.maxusers(maxusers);
    }
    Ok(req)
}

/// A chatroom id as stored: only ASCII digits. Anything else (spaces,
/// escapes, `..`) cannot name a room and so is simply not found.
fn room_id(raw: &str) -> Option<u64> {
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| raw.parse().ok()).flatten()
}

// The raw `{ids}` segment: commas arrive escaped as %2C or literal.
// Duplicates are answered once; ids that cannot exist are dropped.
fn parse_ids(raw: &str) -> Result<Vec<u64>, ServiceError> {
    let commas = raw.replace("%2C", ",").replace("%2c", ",");
    let parts: Vec<&str> = commas.split(',').filter(|p| !p.is_empty()).collect();
    if parts.len() > DETAILS_MAX_IDS {
        return Err(ServiceError::invalid_parameter(format!(
            "at most {DETAILS_MAX_IDS} chatroom ids per request, got {}",
            parts.len()
        )));
    }
    let mut seen = HashSet::new();
    let ids = parts.into_iter().filter_map(room_id);
    Ok(ids.filter(|id| seen.insert(*id)).collect())
}

// Opaque to clients; it names the last room of the page, so rooms created
// while paging (newer, larger ids) never shift the pages that follow.
fn encode_cursor(last: u64) -> String {
    let text = format!("{CURSOR_PREFIX}{last}");
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(cursor: &str) -> Result<u64, ServiceError> {
    let invalid = || ServiceError::invalid_parameter(format!("invalid cursor '{cursor}'"));
    let bytes = hex_decode(cursor).ok_or_else(invalid)?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let id = text.strip_prefix(CURSOR_PREFIX).ok_or_else(invalid)?;
    room_id(id).ok_or_else(invalid)
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    let pairs = (0..s.len()).step_by(2).map(|i| s.get(i..i + 2));
    pairs
        .map(|p| p.and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let c = encode_cursor(66213271109633);
        assert_eq!(decode_cursor(&c).ok(), Some(66213271109633));
        for junk in [
            "zz",
            "abc",
            "é",
            "00",
            &encode_cursor(1).replace("31", "2f"),
        ] {
            assert!(decode_cursor(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn ids_split_on_escaped_or_literal_commas() {
        assert_eq!(parse_ids("1%2C2,3%2c2").ok(), Some(vec![1, 2, 3]));
        assert_eq!(parse_ids("a%2Fb,..,%20").ok(), Some(vec![]));
        let many = vec!["1"; 101].join(",");
        assert!(parse_ids(&many).is_err());
    }

    #[test]
    fn room_ids_are_digits_only() {
        assert_eq!(room_id("42"), Some(42));
        for bad in ["", "+4", "-1", "4 2", "99999999999999999999999"] {
            assert_eq!(room_id(bad), None, "{bad}");
        }
    }
}
