//! The chatroom operations: create, list, details, update, delete.

use std::collections::HashSet;

use agora_chat::operations::ListChatroomsQuery;

use crate::server::Answer;
use crate::service_error::ServiceError;
use crate::wire::{
    ChatroomDetail, ChatroomId, ChatroomSummary, CreateChatroom, CreatedChatroom, DeleteResult,
    UpdateChatroom, UpdateResult,
};
use crate::{AppState, now_ms};

// The spec's default, from the client's generated code (the two sides cannot drift).
const LIST_LIMIT_DEFAULT: u32 = ListChatroomsQuery::LIMIT_DEFAULT;
const CURSOR_PREFIX: &str = "emulator-chatroom:";

/// `POST /chatrooms`
pub(crate) fn create(
    state: &AppState,
    req: &CreateChatroom,
) -> Result<CreatedChatroom, ServiceError> {
    let id = state.store().create(req, now_ms())?;
    Ok(CreatedChatroom::new(id))
}

/// `GET /chatrooms?limit=N&cursor=C`
pub(crate) fn list(
    state: &AppState,
    query: &ListChatroomsQuery,
) -> Result<Answer<Vec<ChatroomSummary>>, ServiceError> {
    let before = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let limit = query.limit.unwrap_or(LIST_LIMIT_DEFAULT);
    let page = state.store().list(as_count(limit), before);
    Ok(Answer::new(page.items).with_cursor(page.next.map(encode_cursor)))
}

/// `GET /chatrooms/{id1},{id2},...`
pub(crate) fn details(
    state: &AppState,
    ids: &[ChatroomId],
) -> Result<Vec<ChatroomDetail>, ServiceError> {
    let rooms = state.store().details(&room_ids(ids));
    if rooms.is_empty() {
        return Err(ServiceError::service_resource_not_found());
    }
    Ok(rooms)
}

/// `PUT /chatrooms/{id}`
pub(crate) fn update(
    state: &AppState,
    id: &ChatroomId,
    req: &UpdateChatroom,
) -> Result<UpdateResult, ServiceError> {
    let id = room_id(id.as_str()).ok_or_else(ServiceError::service_resource_not_found)?;
    state.store().update(id, req)
}

/// `DELETE /chatrooms/{id}`
pub(crate) fn delete(state: &AppState, id: &ChatroomId) -> Result<DeleteResult, ServiceError> {
    let room = room_id(id.as_str()).ok_or_else(ServiceError::service_resource_not_found)?;
    state.store().delete(room)?;
    Ok(DeleteResult::new(true, id.clone()))
}

/// A count from the spec's u32 numbers.
pub(crate) fn as_count(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A chatroom id as stored: only ASCII digits. Anything else (spaces,
/// escapes, `..`) cannot name a room and so is simply not found.
pub(crate) fn room_id(raw: &str) -> Option<u64> {
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| raw.parse().ok()).flatten()
}

// Duplicates are answered once; ids that cannot exist are dropped.
fn room_ids(ids: &[ChatroomId]) -> Vec<u64> {
    let mut seen = HashSet::new();
    let ids = ids.iter().filter_map(|id| room_id(id.as_str()));
    ids.filter(|id| seen.insert(*id)).collect()
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
    fn duplicate_and_impossible_ids_are_dropped() {
        let ids = ["1", "2", "1", "a/b", "..", " "].map(ChatroomId::new);
        assert_eq!(room_ids(&ids), [1, 2]);
    }

    #[test]
    fn room_ids_are_digits_only() {
        assert_eq!(room_id("42"), Some(42));
        for bad in ["", "+4", "-1", "4 2", "99999999999999999999999"] {
            assert_eq!(room_id(bad), None, "{bad}");
        }
    }
}
