//! Serde types for request and response payloads.
//!
//! Names and fields mirror the client's generated types so they can later be
//! replaced by re-exports; keep them plain data with no behaviour.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A chatroom id: a string of digits, kept as a string like the service does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatroomId(pub String);

/// Body of `POST /chatrooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateChatroom {
    pub name: String,
    pub description: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxusers: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<String>,
}

/// `data` of a successful create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedChatroom {
    pub id: ChatroomId,
}

/// One item of `GET /chatrooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatroomSummary {
    pub id: ChatroomId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliations_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// One item of `GET /users/{username}/joined_chatrooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinedChatroom {
    pub id: ChatroomId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// One item of `GET /chatrooms/{ids}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatroomDetail {
    pub id: ChatroomId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membersonly: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowinvites: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxusers: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliations_count: Option<u32>,
    #[serde(default)]
    pub affiliations: Vec<Affiliation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_need_confirm: Option<bool>,
}

/// A member of a chatroom. Serde's externally tagged form of these newtype
/// variants is exactly the service's one-key object, `{"owner": "u"}` or
/// `{"member": "u"}`, so derive is enough (a test pins the shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Affiliation {
    Owner(String),
    Member(String),
}

/// Body of `PUT /chatrooms/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateChatroom {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxusers: Option<u32>,
}

/// `data` of a successful update: a key only for each field that was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groupname: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxusers: Option<bool>,
}

/// `data` of a successful delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteResult {
    pub success: bool,
    pub id: ChatroomId,
}

/// The success envelope around every `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    #[serde(
        rename = "applicationName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub application_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<serde_json::Value>>,
    pub data: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, Vec<String>>>,
}

/// The service's flat error body (no envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub exception: String,
    pub timestamp: i64,
    pub duration: i64,
    pub error_description: String,
}
