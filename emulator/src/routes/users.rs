//! The user operations: the chatrooms a user has joined.

use agora_chat::operations::ListJoinedChatroomsQuery;

use super::chatrooms::as_count;
use crate::AppState;
use crate::service_error::ServiceError;
use crate::wire::JoinedChatroom;

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
