//! The moderation operations: mutes, mute-all, block list, allow list, announcement and
//! custom attributes. Mutes are timed on the emulator's clock (`/_emulator/clock`), so tests
//! can move past a mute's end.

use std::collections::BTreeMap;

use agora_chat::operation::OperationMeta;
use agora_chat::operations::{
    DELETE_CHATROOM_ATTRIBUTES, FORCE_DELETE_CHATROOM_ATTRIBUTES, FORCE_SET_CHATROOM_ATTRIBUTES,
    GET_CHATROOM_ATTRIBUTES, SET_CHATROOM_ATTRIBUTES,
};
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::chatrooms::room_id;
use crate::AppState;
use crate::service_error::ServiceError;
use crate::store::{Force, MuteFor};
use agora_chat::response::ItemResult;

use crate::wire::{
    AllowlistResult, AllowlistedUser, Announcement, AnnouncementSet, AttributeKeys,
    AttributesResult, BlockResult, BlockedUser, ChatroomId, DeleteAttributes, MuteAll,
    MuteDuration, MuteMembers, MuteResult, MutedMember, SetAttributes, UnmuteResult, Usernames,
};

/// A room id as stored; one that cannot exist is not found.
fn room(id: &ChatroomId) -> Result<u64, ServiceError> {
    room_id(id.as_str()).ok_or_else(ServiceError::service_resource_not_found)
}

/// The emulator's clock in Unix milliseconds (whole seconds: the clock moves by seconds).
pub(crate) fn clock_ms(state: &AppState) -> i64 {
    let secs = i64::try_from(state.now_unix()).unwrap_or(i64::MAX);
    secs.saturating_mul(1000)
}

/// `GET /chatrooms/{id}/mute`
pub(crate) fn list_mutes(
    state: &AppState,
    id: &ChatroomId,
) -> Result<Vec<MutedMember>, ServiceError> {
    let mutes = state.store().mutes(room(id)?, clock_ms(state))?;
    Ok(mutes
        .into_iter()
        .map(|(user, end)| MutedMember::new(user, end))
        .collect())
}

/// `POST /chatrooms/{id}/mute`; the body's rules (1 to 60 names, at least 1 ms) are checked.
/// Always an array; a non-member fails the whole request.
pub(crate) fn mute(
    state: &AppState,
    id: &ChatroomId,
    body: &MuteMembers,
) -> Result<Vec<ItemResult<MuteResult>>, ServiceError> {
    let duration = match body.mute_duration {
        MuteDuration::For(_) => MuteFor::Millis(body.mute_duration.to_millis()),
        MuteDuration::Forever => MuteFor::Forever,
    };
    let muted = state
        .store()
        .mute(room(id)?, &body.usernames, duration, clock_ms(state))?;
    let items = muted
        .into_iter()
        .map(|(user, end)| MuteResult::new(user, end));
    Ok(items.map(applied).collect())
}

/// `DELETE /chatrooms/{id}/mute/{u1},{u2}`: always an array; not muted is still `true`.
pub(crate) fn unmute(
    state: &AppState,
    id: &ChatroomId,
    users: &[String],
) -> Result<Vec<ItemResult<UnmuteResult>>, ServiceError> {
    let unmuted = state.store().unmute(room(id)?, users)?;
    Ok(unmuted
        .into_iter()
        .map(UnmuteResult::new)
        .map(applied)
        .collect())
}

/// `POST /chatrooms/{id}/ban` and `DELETE /chatrooms/{id}/ban`
pub(crate) fn set_mute_all(
    state: &AppState,
    id: &ChatroomId,
    mute: bool,
) -> Result<MuteAll, ServiceError> {
    Ok(MuteAll::new(state.store().set_mute_all(room(id)?, mute)?))
}

/// `GET /chatrooms/{id}/blocks/users`
pub(crate) fn list_blocks(state: &AppState, id: &ChatroomId) -> Result<Vec<String>, ServiceError> {
    state.store().blocks(room(id)?)
}

/// `POST /chatrooms/{id}/blocks/users/{username}`
pub(crate) fn block(
    state: &AppState,
    id: &ChatroomId,
    user: &str,
) -> Result<BlockResult, ServiceError> {
    state.store().block(room(id)?, user)?;
    Ok(BlockResult::new(true, user.to_ascii_lowercase())
        .action("add_blocks")
        .chatroomid(id.clone()))
}

/// `POST /chatrooms/{id}/blocks/users` with `{"usernames": [..]}`: per user.
pub(crate) fn block_many(
    state: &AppState,
    id: &ChatroomId,
    body: &Usernames,
) -> Result<Vec<ItemResult<BlockedUser>>, ServiceError> {
    let outcomes = state.store().block_each(room(id)?, &body.usernames)?;
    let item = |user| {
        BlockedUser::new(user)
            .action("add_blocks")
            .chatroomid(id.clone())
    };
    Ok(outcomes
        .into_iter()
        .map(|(user, outcome)| item_result(item(user), outcome.err()))
        .collect())
}

/// `DELETE /chatrooms/{id}/blocks/users/{u1},{u2}` (one name: the single call, answered
/// as one object by the server runtime): a user who was not blocked is `result: false` (?).
pub(crate) fn unblock(
    state: &AppState,
    id: &ChatroomId,
    users: &[String],
) -> Result<Vec<ItemResult<BlockedUser>>, ServiceError> {
    let outcomes = state.store().unblock(room(id)?, users)?;
    let item = |user| {
        BlockedUser::new(user)
            .action("remove_blocks")
            .chatroomid(id.clone())
    };
    let result = |(user, removed): (String, bool)| {
        let reason =
            (!removed).then(|| format!("user: {user} is not in the blacklist of chatroom: {id}"));
        item_result(item(user), reason)
    };
    Ok(outcomes.into_iter().map(result).collect())
}

/// `GET /chatrooms/{id}/white/users`
pub(crate) fn list_allowlist(
    state: &AppState,
    id: &ChatroomId,
) -> Result<Vec<String>, ServiceError> {
    state.store().allowlist(room(id)?)
}

/// `POST /chatrooms/{id}/white/users/{username}`
pub(crate) fn allow(
    state: &AppState,
    id: &ChatroomId,
    user: &str,
) -> Result<AllowlistResult, ServiceError> {
    state.store().allow(room(id)?, user)?;
    Ok(AllowlistResult::new(true, user.to_ascii_lowercase())
        .action("add_user_whitelist")
        .chatroomid(id.clone()))
}

/// `POST /chatrooms/{id}/white/users` with `{"usernames": [..]}`: per user.
pub(crate) fn allow_many(
    state: &AppState,
    id: &ChatroomId,
    body: &Usernames,
) -> Result<Vec<ItemResult<AllowlistedUser>>, ServiceError> {
    let outcomes = state.store().allow_each(room(id)?, &body.usernames)?;
    let item = |user| {
        AllowlistedUser::new(user)
            .action("add_user_whitelist")
            .chatroomid(id.clone())
    };
    Ok(outcomes
        .into_iter()
        .map(|(user, outcome)| item_result(item(user), outcome.err()))
        .collect())
}

/// `DELETE /chatrooms/{id}/white/users/{u1},{u2}`: per user; one name is one object.
pub(crate) fn disallow(
    state: &AppState,
    id: &ChatroomId,
    users: &[String],
) -> Result<Vec<ItemResult<AllowlistedUser>>, ServiceError> {
    let outcomes = state.store().disallow(room(id)?, users)?;
    let item = |user| {
        AllowlistedUser::new(user)
            .action("remove_user_whitelist")
            .chatroomid(id.clone())
    };
    let result = |(user, removed): (String, bool)| {
        let reason =
            (!removed).then(|| format!("user: {user} is not in the whitelist of chatroom: {id}"));
        item_result(item(user), reason)
    };
    Ok(outcomes.into_iter().map(result).collect())
}

/// An applied item.
fn applied<T>(item: T) -> ItemResult<T> {
    item_result(item, None)
}

/// An item applied unless there is a reason it was not.
fn item_result<T>(item: T, reason: Option<String>) -> ItemResult<T> {
    ItemResult {
        ok: reason.is_none(),
        reason,
        item,
    }
}

/// `GET /chatrooms/{id}/announcement`
pub(crate) fn announcement(
    state: &AppState,
    id: &ChatroomId,
) -> Result<Announcement, ServiceError> {
    Ok(Announcement::new(state.store().announcement(room(id)?)?))
}

/// `POST /chatrooms/{id}/announcement`; the length was checked by the spec's rule.
pub(crate) fn set_announcement(
    state: &AppState,
    id: &ChatroomId,
    body: &Announcement,
) -> Result<AnnouncementSet, ServiceError> {
    state
        .store()
        .set_announcement(room(id)?, &body.announcement)?;
    Ok(AnnouncementSet::new(true).id(id.clone()))
}

/// `POST /metadata/chatroom/{id}`
pub(crate) fn attributes(
    state: &AppState,
    id: &ChatroomId,
    body: &AttributeKeys,
) -> Result<BTreeMap<String, String>, ServiceError> {
    let keys = body.keys.as_deref().unwrap_or_default();
    state.store().attributes(room(id)?, keys)
}

/// `PUT /metadata/chatroom/{id}/user/{username}[/forced]`
pub(crate) fn set_attributes(
    state: &AppState,
    id: &ChatroomId,
    user: &str,
    body: &SetAttributes,
    force: Force,
) -> Result<AttributesResult, ServiceError> {
    state.store().set_attributes(room(id)?, user, body, force)
}

/// `DELETE /metadata/chatroom/{id}/user/{username}[/forced]`
pub(crate) fn delete_attributes(
    state: &AppState,
    id: &ChatroomId,
    user: &str,
    body: &DeleteAttributes,
    force: Force,
) -> Result<AttributesResult, ServiceError> {
    state
        .store()
        .delete_attributes(room(id)?, user, body, force)
}

/// The custom-attribute calls answer a trimmed envelope: `uri`, `timestamp`, `action` and
/// `data`, plus `"status": "ok"` on deletes (the reference's captures).
const TRIMMED: &[(&str, bool)] = &[
    (GET_CHATROOM_ATTRIBUTES.id, false),
    (SET_CHATROOM_ATTRIBUTES.id, false),
    (FORCE_SET_CHATROOM_ATTRIBUTES.id, false),
    (DELETE_CHATROOM_ATTRIBUTES.id, true),
    (FORCE_DELETE_CHATROOM_ATTRIBUTES.id, true),
];

/// The envelope fields a trimmed answer keeps.
const TRIMMED_FIELDS: &[&str] = &["uri", "timestamp", "action", "data"];

/// Middleware: trims the envelope of a successful answer of the operations in [`TRIMMED`].
pub(crate) async fn trim_envelope(req: Request, next: Next) -> Response {
    let op = req.extensions().get::<&'static OperationMeta>().copied();
    let res = next.run(req).await;
    let trim = op.and_then(|op| TRIMMED.iter().find(|(id, _)| *id == op.id));
    match trim {
        Some((_, status_ok)) if res.status().is_success() => trimmed(res, *status_ok).await,
        _ => res,
    }
}

async fn trimmed(res: Response, status_ok: bool) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ServiceError::internal().into_response();
    };
    let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    envelope.retain(|key, _| TRIMMED_FIELDS.contains(&key.as_str()));
    if status_ok {
        envelope.insert("status".to_owned(), Value::from("ok"));
    }
    let text = Value::Object(envelope).to_string();
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}
