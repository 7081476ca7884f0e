//! Request and response payloads.
//!
//! The shapes the client decodes are the client's own generated types,
//! re-exported, so the emulator and the client cannot drift apart. Only what
//! the client has no type for lives here: the joined route's string
//! `disabled`, and the token endpoint's bodies.

use serde::{Deserialize, Serialize};

pub use agora_chat::types::{
    Affiliation, ChatroomDetail, ChatroomId, ChatroomSummary, CreateChatroom, CreatedChatroom,
    DeleteResult, Envelope, ErrorBody, ErrorCode, JoinedChatroom, ResponseMeta, UpdateChatroom,
    UpdateResult,
};

/// One item of `GET /users/{username}/joined_chatrooms` as the service sends
/// it: `disabled` is the string `"false"` here, unlike the list route's bool.
/// The client's [`JoinedChatroom`] decodes both forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinedChatroomOnWire {
    pub id: ChatroomId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<String>,
}

impl From<JoinedChatroom> for JoinedChatroomOnWire {
    fn from(room: JoinedChatroom) -> Self {
        Self {
            id: room.id,
            name: room.name,
            disabled: room.disabled.map(|d| d.to_string()),
        }
    }
}

/// Answer of `POST /{org}/{app}/token` (Easemob-style client credentials).
/// This one is not wrapped in an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer token to send.
    pub access_token: String,
    /// Seconds the token stays valid; 0 means it never expires (`ttl` 0).
    pub expires_in: u64,
    /// The app's internal UUID.
    pub application: String,
}
