//! The emulator's behaviour behind the generated [`Api`] trait: each operation delegates to
//! its resource's module; the service's wire quirks are here too.

use agora_chat::operation::OperationMeta;
use agora_chat::operations::{
    LIST_JOINED_CHATROOMS, ListChatroomMembersQuery, ListChatroomSuperAdminsQuery,
    ListChatroomsQuery, ListJoinedChatroomsQuery, ListUsersQuery, TRANSFER_CHATROOM_OWNER,
    UPDATE_CHATROOM,
};
use agora_chat::response::ItemResult;
use serde_json::Value;

use super::{chatrooms, members, moderation, users};
use crate::AppState;
use crate::generated::api::Api;
use crate::server::{Answer, Rewrite, WireQuirks};
use crate::service_error::ServiceError;
use crate::store::Force;
use crate::wire::{
    AddChatroomAdmin, AddChatroomMembers, AddChatroomSuperAdmin, AddedMembers, AdminAdded,
    AdminRemoved, Affiliation, AllowlistResult, AllowlistedUser, Announcement, AnnouncementSet,
    AttributeKeys, AttributesResult, BlockResult, BlockedUser, ChatroomDetail, ChatroomId,
    ChatroomSummary, CreateChatroom, CreatedChatroom, DeleteAttributes, DeleteResult,
    JoinedChatroom, MemberResult, MuteAll, MuteMembers, MuteResult, MutedMember, NewUser, NewUsers,
    OwnerTransferred, RegisterUsersResult, RemovedMember, SetAttributes, SuperAdminAdded,
    SuperAdminRemoved, TransferChatroomOwner, UnmuteResult, UpdateChatroom, UpdateResult, User,
    Usernames,
};
use std::collections::BTreeMap;

impl Api for AppState {
    async fn create_chatroom(&self, body: CreateChatroom) -> Result<CreatedChatroom, ServiceError> {
        chatrooms::create(self, &body)
    }

    async fn list_chatrooms(
        &self,
        query: ListChatroomsQuery,
    ) -> Result<Answer<Vec<ChatroomSummary>>, ServiceError> {
        chatrooms::list(self, &query)
    }

    async fn list_joined_chatrooms(
        &self,
        username: String,
        query: ListJoinedChatroomsQuery,
    ) -> Result<Vec<JoinedChatroom>, ServiceError> {
        users::joined(self, &username, &query)
    }

    async fn get_chatrooms(
        &self,
        chatroom_ids: Vec<ChatroomId>,
    ) -> Result<Vec<ChatroomDetail>, ServiceError> {
        chatrooms::details(self, &chatroom_ids)
    }

    async fn update_chatroom(
        &self,
        chatroom_id: ChatroomId,
        body: UpdateChatroom,
    ) -> Result<UpdateResult, ServiceError> {
        chatrooms::update(self, &chatroom_id, &body)
    }

    async fn delete_chatroom(&self, chatroom_id: ChatroomId) -> Result<DeleteResult, ServiceError> {
        chatrooms::delete(self, &chatroom_id)
    }

    async fn register_user(&self, body: NewUser) -> Result<User, ServiceError> {
        users::register(self, &body)
    }

    async fn register_users(&self, body: NewUsers) -> Result<RegisterUsersResult, ServiceError> {
        users::register_many(self, &body)
    }

    async fn get_user(&self, username: String) -> Result<User, ServiceError> {
        users::get(self, &username)
    }

    async fn list_users(&self, query: ListUsersQuery) -> Result<Answer<Vec<User>>, ServiceError> {
        users::list(self, &query)
    }

    async fn delete_user(&self, username: String) -> Result<User, ServiceError> {
        users::delete(self, &username)
    }

    async fn list_chatroom_members(
        &self,
        chatroom_id: ChatroomId,
        query: ListChatroomMembersQuery,
    ) -> Result<Vec<Affiliation>, ServiceError> {
        members::list(self, &chatroom_id, &query)
    }

    async fn add_chatroom_member(
        &self,
        chatroom_id: ChatroomId,
        username: String,
    ) -> Result<MemberResult, ServiceError> {
        members::add_one(self, &chatroom_id, &username)
    }

    async fn add_chatroom_members(
        &self,
        chatroom_id: ChatroomId,
        body: AddChatroomMembers,
    ) -> Result<AddedMembers, ServiceError> {
        members::add_many(self, &chatroom_id, &body)
    }

    async fn remove_chatroom_members(
        &self,
        chatroom_id: ChatroomId,
        usernames: Vec<String>,
    ) -> Result<Vec<ItemResult<RemovedMember>>, ServiceError> {
        members::remove(self, &chatroom_id, &usernames)
    }

    async fn list_chatroom_admins(
        &self,
        chatroom_id: ChatroomId,
    ) -> Result<Vec<String>, ServiceError> {
        members::admins(self, &chatroom_id)
    }

    async fn add_chatroom_admin(
        &self,
        chatroom_id: ChatroomId,
        body: AddChatroomAdmin,
    ) -> Result<AdminAdded, ServiceError> {
        members::add_admin(self, &chatroom_id, &body)
    }

    async fn remove_chatroom_admin(
        &self,
        chatroom_id: ChatroomId,
        username: String,
    ) -> Result<AdminRemoved, ServiceError> {
        members::remove_admin(self, &chatroom_id, &username)
    }

    async fn list_chatroom_super_admins(
        &self,
        query: ListChatroomSuperAdminsQuery,
    ) -> Result<Vec<String>, ServiceError> {
        members::super_admins(self, &query)
    }

    async fn add_chatroom_super_admin(
        &self,
        body: AddChatroomSuperAdmin,
    ) -> Result<SuperAdminAdded, ServiceError> {
        members::add_super_admin(self, &body)
    }

    async fn remove_chatroom_super_admin(
        &self,
        username: String,
    ) -> Result<SuperAdminRemoved, ServiceError> {
        members::remove_super_admin(self, &username)
    }

    async fn transfer_chatroom_owner(
        &self,
        chatroom_id: ChatroomId,
        body: TransferChatroomOwner,
    ) -> Result<OwnerTransferred, ServiceError> {
        members::transfer(self, &chatroom_id, &body)
    }

    async fn list_chatroom_mutes(
        &self,
        chatroom_id: ChatroomId,
    ) -> Result<Vec<MutedMember>, ServiceError> {
        moderation::list_mutes(self, &chatroom_id)
    }

    async fn mute_chatroom_members(
        &self,
        chatroom_id: ChatroomId,
        body: MuteMembers,
    ) -> Result<Vec<ItemResult<MuteResult>>, ServiceError> {
        moderation::mute(self, &chatroom_id, &body)
    }

    async fn unmute_chatroom_members(
        &self,
        chatroom_id: ChatroomId,
        usernames: Vec<String>,
    ) -> Result<Vec<ItemResult<UnmuteResult>>, ServiceError> {
        moderation::unmute(self, &chatroom_id, &usernames)
    }

    async fn mute_chatroom_all(&self, chatroom_id: ChatroomId) -> Result<MuteAll, ServiceError> {
        moderation::set_mute_all(self, &chatroom_id, true)
    }

    async fn unmute_chatroom_all(&self, chatroom_id: ChatroomId) -> Result<MuteAll, ServiceError> {
        moderation::set_mute_all(self, &chatroom_id, false)
    }

    async fn list_chatroom_blocks(
        &self,
        chatroom_id: ChatroomId,
    ) -> Result<Vec<String>, ServiceError> {
        moderation::list_blocks(self, &chatroom_id)
    }

    async fn add_chatroom_block(
        &self,
        chatroom_id: ChatroomId,
        username: String,
    ) -> Result<BlockResult, ServiceError> {
        moderation::block(self, &chatroom_id, &username)
    }

    async fn add_chatroom_blocks(
        &self,
        chatroom_id: ChatroomId,
        body: Usernames,
    ) -> Result<Vec<ItemResult<BlockedUser>>, ServiceError> {
        moderation::block_many(self, &chatroom_id, &body)
    }

    async fn remove_chatroom_blocks(
        &self,
        chatroom_id: ChatroomId,
        usernames: Vec<String>,
    ) -> Result<Vec<ItemResult<BlockedUser>>, ServiceError> {
        moderation::unblock(self, &chatroom_id, &usernames)
    }

    async fn list_chatroom_allowlist(
        &self,
        chatroom_id: ChatroomId,
    ) -> Result<Vec<String>, ServiceError> {
        moderation::list_allowlist(self, &chatroom_id)
    }

    async fn add_chatroom_allowlist_user(
        &self,
        chatroom_id: ChatroomId,
        username: String,
    ) -> Result<AllowlistResult, ServiceError> {
        moderation::allow(self, &chatroom_id, &username)
    }

    async fn add_chatroom_allowlist_users(
        &self,
        chatroom_id: ChatroomId,
        body: Usernames,
    ) -> Result<Vec<ItemResult<AllowlistedUser>>, ServiceError> {
        moderation::allow_many(self, &chatroom_id, &body)
    }

    async fn remove_chatroom_allowlist_users(
        &self,
        chatroom_id: ChatroomId,
        usernames: Vec<String>,
    ) -> Result<Vec<ItemResult<AllowlistedUser>>, ServiceError> {
        moderation::disallow(self, &chatroom_id, &usernames)
    }

    async fn get_chatroom_announcement(
        &self,
        chatroom_id: ChatroomId,
    ) -> Result<Announcement, ServiceError> {
        moderation::announcement(self, &chatroom_id)
    }

    async fn set_chatroom_announcement(
        &self,
        chatroom_id: ChatroomId,
        body: Announcement,
    ) -> Result<AnnouncementSet, ServiceError> {
        moderation::set_announcement(self, &chatroom_id, &body)
    }

    async fn get_chatroom_attributes(
        &self,
        chatroom_id: ChatroomId,
        body: AttributeKeys,
    ) -> Result<BTreeMap<String, String>, ServiceError> {
        moderation::attributes(self, &chatroom_id, &body)
    }

    async fn set_chatroom_attributes(
        &self,
        chatroom_id: ChatroomId,
        username: String,
        body: SetAttributes,
    ) -> Result<AttributesResult, ServiceError> {
        moderation::set_attributes(self, &chatroom_id, &username, &body, Force::No)
    }

    async fn force_set_chatroom_attributes(
        &self,
        chatroom_id: ChatroomId,
        username: String,
        body: SetAttributes,
    ) -> Result<AttributesResult, ServiceError> {
        moderation::set_attributes(self, &chatroom_id, &username, &body, Force::Yes)
    }

    async fn delete_chatroom_attributes(
        &self,
        chatroom_id: ChatroomId,
        username: String,
        body: DeleteAttributes,
    ) -> Result<AttributesResult, ServiceError> {
        moderation::delete_attributes(self, &chatroom_id, &username, &body, Force::No)
    }

    async fn force_delete_chatroom_attributes(
        &self,
        chatroom_id: ChatroomId,
        username: String,
        body: DeleteAttributes,
    ) -> Result<AttributesResult, ServiceError> {
        moderation::delete_attributes(self, &chatroom_id, &username, &body, Force::Yes)
    }
}

impl WireQuirks for AppState {
    // An update refuses fields it cannot change, and a transfer anything beside `newowner`;
    // a create ignores unknown fields.
    fn refuses_unknown_fields(&self, operation: &'static OperationMeta) -> bool {
        operation.id == UPDATE_CHATROOM.id || operation.id == TRANSFER_CHATROOM_OWNER.id
    }

    // The joined route sends `disabled` as a string ("false"), unlike the list route; the
    // client's `JoinedChatroom` reads both forms.
    fn wire_data(&self, operation: &'static OperationMeta) -> Option<Rewrite> {
        (operation.id == LIST_JOINED_CHATROOMS.id).then_some(disabled_as_string as Rewrite)
    }
}

fn disabled_as_string(mut data: Value) -> Value {
    let rooms = data.as_array_mut().into_iter().flatten();
    for room in rooms.filter_map(Value::as_object_mut) {
        if let Some(Value::Bool(disabled)) = room.get("disabled") {
            let text = disabled.to_string();
            room.insert("disabled".to_owned(), Value::String(text));
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn joined_rooms_send_disabled_as_a_string() {
        let data = json!([{"id": "1", "name": "a", "disabled": false}, {"id": "2", "name": "b"}]);
        let want = json!([{"id": "1", "name": "a", "disabled": "false"}, {"id": "2", "name": "b"}]);
        assert_eq!(disabled_as_string(data), want);
    }
}
