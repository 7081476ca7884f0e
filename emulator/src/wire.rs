//! Request and response payloads.
//!
//! The shapes the client decodes are the client's own generated types,
//! re-exported, so the emulator and the client cannot drift apart. Only what
//! the client has no type for lives here: the token endpoint's answer. (The
//! joined route's string `disabled` is a rewrite of the client's type, in the
//! emulator's `WireQuirks` implementation.)

use serde::{Deserialize, Serialize};

pub use agora_chat::types::{
    AddChatroomAdmin, AddChatroomMembers, AddChatroomSuperAdmin, AddedMembers, AdminAdded,
    AdminRemoved, Affiliation, ChatroomDetail, ChatroomId, ChatroomSummary, CreateChatroom,
    CreatedChatroom, DeleteResult, Envelope, ErrorBody, ErrorCode, JoinedChatroom, MemberResult,
    NewUser, NewUsers, OwnerTransferred, RegisterFailure, RegisterUsersResult, RemovedMember,
    ResponseMeta, SuperAdminAdded, SuperAdminRemoved, TransferChatroomOwner, UpdateChatroom,
    UpdateResult, User,
};
pub use agora_chat::types::{
    AllowlistResult, AllowlistedUser, Announcement, AnnouncementSet, AttributeKeys,
    AttributesResult, AutoDelete, BlockResult, BlockedUser, DeleteAttributes, MuteAll,
    MuteDuration, MuteExpiry, MuteMembers, MuteResult, MutedMember, SetAttributes, UnmuteResult,
    Usernames,
};

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
