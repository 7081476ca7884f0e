//! The user operations: register (one or many), get, list, delete, and the chatrooms a
//! user has joined.

use agora_chat::operations::{ListJoinedChatroomsQuery, ListUsersQuery};

use super::chatrooms::{as_count, decode_cursor_for, encode_cursor_for};
use crate::server::Answer;
use crate::service_error::ServiceError;
use crate::wire::{JoinedChatroom, NewUser, NewUsers, RegisterUsersResult, User};
use crate::{AppState, now_ms};

const USERS_LIMIT_DEFAULT: u32 = ListUsersQuery::LIMIT_DEFAULT;
const USERS_CURSOR_PREFIX: &str = "emulator-user:";

/// `POST /users` with one user.
pub(crate) fn register(state: &AppState, user: &NewUser) -> Result<User, ServiceError> {
    state.store().register(user, now_ms())
}

/// `POST /users` with an array of users (its size already checked).
pub(crate) fn register_many(
    state: &AppState,
    users: &NewUsers,
) -> Result<RegisterUsersResult, ServiceError> {
    state.store().register_many(&users.users, now_ms())
}

/// `GET /users/{username}`; 404 `service_resource_not_found` for an unknown user.
pub(crate) fn get(state: &AppState, username: &str) -> Result<User, ServiceError> {
    let username = username.to_ascii_lowercase();
    let user = state.store().user(&username);
    user.ok_or_else(ServiceError::service_resource_not_found)
}

/// `GET /users?limit=N&cursor=C`, oldest registrations first.
pub(crate) fn list(
    state: &AppState,
    query: &ListUsersQuery,
) -> Result<Answer<Vec<User>>, ServiceError> {
    let cursor = query.cursor.as_deref();
    let after = cursor
        .map(|c| decode_cursor_for(USERS_CURSOR_PREFIX, c))
        .transpose()?;
    let limit = query.limit.unwrap_or(USERS_LIMIT_DEFAULT);
    let page = state.store().users(as_count(limit), after);
    let next = page.next.map(|n| encode_cursor_for(USERS_CURSOR_PREFIX, n));
    Ok(Answer::new(page.items).with_cursor(next))
}

/// `DELETE /users/{username}`: the user leaves every chatroom; rooms they own are deleted.
pub(crate) fn delete(state: &AppState, username: &str) -> Result<User, ServiceError> {
    state.store().delete_user(&username.to_ascii_lowercase())
}

// The spec's default, from the client's generated code (the two sides cannot drift).
const PAGESIZE_DEFAULT: u32 = ListJoinedChatroomsQuery::PAGESIZE_DEFAULT;
/// With neither pagenum nor pagesize the service returns this many.
const UNPAGED_MAX: usize = 500;

/// `GET /users/{username}/joined_chatrooms?pagenum=N&pagesize=M`; the username is
/// already checked, and users are kept in lowercase.
pub(crate) fn joined(
    state: &AppState,
    username: &str,
    query: &ListJoinedChatroomsQuery,
) -> Result<Vec<JoinedChatroom>, ServiceError> {
    let username = username.to_ascii_lowercase();
    state.store().require_user(&username)?;
    let (skip, take) = window(query);
    Ok(state.store().joined(&username, skip, take))
}

// (skip, take) from pagenum (from 1) and pagesize (default 1000).
fn window(query: &ListJoinedChatroomsQuery) -> (usize, usize) {
    if query.pagenum.is_none() && query.pagesize.is_none() {
        return (0, UNPAGED_MAX);
    }
    let size = as_count(query.pagesize.unwrap_or(PAGESIZE_DEFAULT));
    let pagenum = as_count(query.pagenum.unwrap_or(1));
    (pagenum.saturating_sub(1).saturating_mul(size), size)
}
