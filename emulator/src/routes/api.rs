//! The emulator's behaviour behind the generated [`Api`] trait: each operation delegates to
//! its resource's module; the service's wire quirks are here too.

use agora_chat::operation::OperationMeta;
use agora_chat::operations::{
    LIST_JOINED_CHATROOMS, ListChatroomsQuery, ListJoinedChatroomsQuery, ListUsersQuery,
    UPDATE_CHATROOM,
};
use serde_json::Value;

use super::{chatrooms, users};
use crate::AppState;
use crate::generated::api::Api;
use crate::server::{Answer, Rewrite, WireQuirks};
use crate::service_error::ServiceError;
use crate::wire::{
    ChatroomDetail, ChatroomId, ChatroomSummary, CreateChatroom, CreatedChatroom, DeleteResult,
    JoinedChatroom, NewUser, NewUsers, RegisterUsersResult, UpdateChatroom, UpdateResult, User,
};

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
}

impl WireQuirks for AppState {
    // An update refuses fields it cannot change; a create ignores unknown fields.
    fn refuses_unknown_fields(&self, operation: &'static OperationMeta) -> bool {
        operation.id == UPDATE_CHATROOM.id
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
