//! The membership operations: members, admins, super admins and ownership transfer. Each
//! checks its room and lower-cases usernames (the service stores ids in lower case), then
//! changes the store, which keeps details and joined lists consistent.

use agora_chat::operations::{ListChatroomMembersQuery, ListChatroomSuperAdminsQuery};
use agora_chat::response::ItemResult;

use super::chatrooms::{as_count, room_id};
use crate::AppState;
use crate::service_error::ServiceError;
use crate::wire::{
    AddChatroomAdmin, AddChatroomMembers, AddChatroomSuperAdmin, AddedMembers, AdminAdded,
    AdminRemoved, Affiliation, ChatroomId, MemberResult, OwnerTransferred, RemovedMember,
    SuperAdminAdded, SuperAdminRemoved, TransferChatroomOwner,
};

// The spec's defaults, from the client's generated code (the two sides cannot drift).
const MEMBERS_PAGESIZE_DEFAULT: u32 = ListChatroomMembersQuery::PAGESIZE_DEFAULT;
const SUPER_ADMINS_PAGESIZE_DEFAULT: u32 = ListChatroomSuperAdminsQuery::PAGESIZE_DEFAULT;

/// The room a path names; an id that cannot exist is simply not found.
fn room(id: &ChatroomId) -> Result<u64, ServiceError> {
    room_id(id.as_str()).ok_or_else(ServiceError::service_resource_not_found)
}

/// (skip, take) of page `pagenum` (from 1) of `pagesize`.
fn window(pagenum: Option<u32>, pagesize: u32) -> (usize, usize) {
    let size = as_count(pagesize);
    let skip = as_count(pagenum.unwrap_or(1)).saturating_sub(1);
    (skip.saturating_mul(size), size)
}

/// `GET /chatrooms/{id}/users?pagenum&pagesize`
pub(crate) fn list(
    state: &AppState,
    id: &ChatroomId,
    query: &ListChatroomMembersQuery,
) -> Result<Vec<Affiliation>, ServiceError> {
    let size = query.pagesize.unwrap_or(MEMBERS_PAGESIZE_DEFAULT);
    let (skip, take) = window(query.pagenum, size);
    state.store().member_page(room(id)?, skip, take)
}

/// `POST /chatrooms/{id}/users/{username}`: adding a member again succeeds.
pub(crate) fn add_one(
    state: &AppState,
    id: &ChatroomId,
    username: &str,
) -> Result<MemberResult, ServiceError> {
    let user = username.to_ascii_lowercase();
    state
        .store()
        .add_members(room(id)?, std::slice::from_ref(&user))?;
    Ok(MemberResult::new(true, id.clone(), user).action("add_member"))
}

/// `POST /chatrooms/{id}/users` with `{"usernames": [..]}`: all or nothing.
pub(crate) fn add_many(
    state: &AppState,
    id: &ChatroomId,
    body: &AddChatroomMembers,
) -> Result<AddedMembers, ServiceError> {
    let users: Vec<String> = body
        .usernames
        .iter()
        .map(|u| u.to_ascii_lowercase())
        .collect();
    let added = state.store().add_members(room(id)?, &users)?;
    Ok(AddedMembers::new(added, id.clone()).action("add_member"))
}

/// `DELETE /chatrooms/{id}/users/{u1},{u2}`: one name is removed or refused with an error
/// (answered as a lone object); several are answered per name, HTTP 200 even if all failed.
pub(crate) fn remove(
    state: &AppState,
    id: &ChatroomId,
    usernames: &[String],
) -> Result<Vec<ItemResult<RemovedMember>>, ServiceError> {
    let room = room(id)?;
    let users: Vec<String> = usernames.iter().map(|u| u.to_ascii_lowercase()).collect();
    let removed = |user: String| RemovedMember::new(user, id.clone()).action("remove_member");
    if let [user] = users.as_slice() {
        state.store().remove_member(room, user)?;
        return Ok(vec![applied(removed(user.clone()))]);
    }
    let outcomes = state.store().remove_members(room, &users)?;
    let results = outcomes.into_iter().map(|(user, outcome)| match outcome {
        Ok(()) => applied(removed(user)),
        Err(reason) => ItemResult {
            ok: false,
            reason: Some(reason),
            item: removed(user),
        },
    });
    Ok(results.collect())
}

fn applied<T>(item: T) -> ItemResult<T> {
    ItemResult {
        ok: true,
        reason: None,
        item,
    }
}

/// `GET /chatrooms/{id}/admin`
pub(crate) fn admins(state: &AppState, id: &ChatroomId) -> Result<Vec<String>, ServiceError> {
    state.store().admins(room(id)?)
}

/// `POST /chatrooms/{id}/admin` with `{"newadmin": ..}`
pub(crate) fn add_admin(
    state: &AppState,
    id: &ChatroomId,
    body: &AddChatroomAdmin,
) -> Result<AdminAdded, ServiceError> {
    let user = body.newadmin.to_ascii_lowercase();
    state.store().add_admin(room(id)?, &user)?;
    Ok(AdminAdded::new(true, user))
}

/// `DELETE /chatrooms/{id}/admin/{username}`
pub(crate) fn remove_admin(
    state: &AppState,
    id: &ChatroomId,
    username: &str,
) -> Result<AdminRemoved, ServiceError> {
    let user = username.to_ascii_lowercase();
    state.store().remove_admin(room(id)?, &user)?;
    Ok(AdminRemoved::new(true, user))
}

/// `GET /chatrooms/super_admin?pagenum&pagesize`
pub(crate) fn super_admins(
    state: &AppState,
    query: &ListChatroomSuperAdminsQuery,
) -> Result<Vec<String>, ServiceError> {
    let size = query.pagesize.unwrap_or(SUPER_ADMINS_PAGESIZE_DEFAULT);
    let (skip, take) = window(query.pagenum, size);
    Ok(state.store().super_admins(skip, take))
}

/// `POST /chatrooms/super_admin` with `{"superadmin": ..}`
pub(crate) fn add_super_admin(
    state: &AppState,
    body: &AddChatroomSuperAdmin,
) -> Result<SuperAdminAdded, ServiceError> {
    state
        .store()
        .add_super_admin(&body.superadmin.to_ascii_lowercase())?;
    Ok(SuperAdminAdded::new(true).resource(""))
}

/// `DELETE /chatrooms/super_admin/{username}`: the answer's key is `newSuperAdmin`.
pub(crate) fn remove_super_admin(
    state: &AppState,
    username: &str,
) -> Result<SuperAdminRemoved, ServiceError> {
    let user = username.to_ascii_lowercase();
    state.store().remove_super_admin(&user)?;
    Ok(SuperAdminRemoved::new(user).resource(""))
}

/// `PUT /chatrooms/{id}` with only `{"newowner": ..}`
pub(crate) fn transfer(
    state: &AppState,
    id: &ChatroomId,
    body: &TransferChatroomOwner,
) -> Result<OwnerTransferred, ServiceError> {
    let user = body.newowner.to_ascii_lowercase();
    state.store().transfer_owner(room(id)?, &user)?;
    Ok(OwnerTransferred::new(true))
}
