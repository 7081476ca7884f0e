//! `/{org}/{app}/users/{username}/joined_chatrooms`.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, State};

use super::{Ctx, list_envelope};
use crate::AppState;
use crate::service_error::ServiceError;
use crate::validate;
use crate::wire::{Envelope, JoinedChatroomOnWire};
use agora_chat::operations::ListJoinedChatroomsQuery;

// The spec's numbers, from the client's generated code (the two sides cannot drift).
const PAGENUM_MIN: usize = ListJoinedChatroomsQuery::PAGENUM_MIN as usize;
const PAGESIZE_MIN: usize = ListJoinedChatroomsQuery::PAGESIZE_MIN as usize;
const PAGESIZE_MAX: usize = ListJoinedChatroomsQuery::PAGESIZE_MAX as usize;
const PAGESIZE_DEFAULT: usize = ListJoinedChatroomsQuery::PAGESIZE_DEFAULT as usize;
const PAGENUM_MAX: usize = i32::MAX as usize;
/// With neither pagenum nor pagesize the service returns this many.
const UNPAGED_MAX: usize = 500;

/// `GET /users/{username}/joined_chatrooms?pagenum=N&pagesize=M`
pub(crate) async fn joined(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Json<Envelope<Vec<JoinedChatroomOnWire>>>, ServiceError> {
    // A segment that does not decode to UTF-8 cannot be a username.
    let Path((_, _, raw)) = path.map_err(|e| ServiceError::invalid_parameter(e.body_text()))?;
    let username = validate::username("username", &raw)?;
    state.store().require_user(&username)?;
    let (skip, take) = window(&ctx)?;
    let rooms = state.store().joined(&username, skip, take);
    // This route sends `disabled` as a string ("false"), unlike the list route.
    let data = rooms.into_iter().map(JoinedChatroomOnWire::from).collect();
    Ok(Json(list_envelope(&state, &ctx, data)))
}

// (skip, take) from pagenum (from 1) and pagesize (default 1000).
fn window(ctx: &Ctx) -> Result<(usize, usize), ServiceError> {
    let pagenum = ctx.int_param("pagenum", PAGENUM_MIN, PAGENUM_MAX)?;
    let pagesize = ctx.int_param("pagesize", PAGESIZE_MIN, PAGESIZE_MAX)?;
    if pagenum.is_none() && pagesize.is_none() {
        return Ok((0, UNPAGED_MAX));
    }
    let size = pagesize.unwrap_or(PAGESIZE_DEFAULT);
    let skip = pagenum.unwrap_or(1).saturating_sub(1).saturating_mul(size);
    Ok((skip, size))
}
